"""What the ledger needs from persistence: append entries, read an order's trail, sum."""

from __future__ import annotations

from typing import Protocol

from domain.ledger.model import JournalEntry, TrialBalance


class LedgerRepository(Protocol):
    async def append(self, entry: JournalEntry) -> JournalEntry:
        """Record a balanced entry in the current transaction; the entry with its id.
        Entries are never updated or deleted (a correction is a reversing entry)."""
        ...

    async def trail(self, reference: str) -> list[JournalEntry]:
        """Every entry of one reference (an order number), oldest first."""
        ...

    async def trial_balance(self, currency: str) -> TrialBalance:
        """Debits and credits per account over every entry in `currency`."""
        ...


class LedgerPorts(Protocol):
    @property
    def ledger(self) -> LedgerRepository: ...
