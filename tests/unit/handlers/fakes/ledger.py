"""Ledger fake: entries in a list, sums by the domain's own trial balance."""

from __future__ import annotations

from domain.ledger.model import JournalEntry, TrialBalance, trial_balance


class FakeLedger:
    STATE = ("entries",)

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    async def append(self, entry: JournalEntry) -> JournalEntry:
        if entry.reverses is not None and any(e.reverses == entry.reverses for e in self.entries):
            raise AssertionError(f"entry {entry.reverses} is already reversed")
        recorded = entry.with_id(len(self.entries) + 1)
        self.entries.append(recorded)
        return recorded

    async def trail(self, reference: str) -> list[JournalEntry]:
        return [e for e in self.entries if e.reference == reference]

    async def trial_balance(self, currency: str) -> TrialBalance:
        return trial_balance(self.entries, currency)
