"""Journal entries, reversals and the trial balance.

An entry cannot be built unbalanced: `JournalEntry.__post_init__` checks that debits equal
credits per currency, that every line has exactly one positive side on the currency's grid.
Entries are frozen; a correction is a new entry, `reverse(entry)`, never an edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.ledger.accounts import Account
from domain.money import round_money

REVERSAL = "reversal"


class UnbalancedEntry(ValueError):
    """A posting rule produced an entry that does not balance: a bug, never a user error."""


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: Account
    debit: Decimal
    credit: Decimal
    currency: str

    def __post_init__(self) -> None:
        for amount in (self.debit, self.credit):
            if amount < 0 or round_money(amount, self.currency) != amount:
                raise UnbalancedEntry(f"{self.account.value}: {amount} is not a valid amount")
        if (self.debit > 0) == (self.credit > 0):
            raise UnbalancedEntry(f"{self.account.value}: a line is either a debit or a credit")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    at: datetime
    event: str
    reference: str  # the order number (or the location / count for stock events)
    lines: tuple[JournalLine, ...]
    id: int | None = None  # given by persistence
    reverses: int | None = None  # the entry this one cancels
    memo: str = ""

    def __post_init__(self) -> None:
        if not self.event or not self.reference:
            raise UnbalancedEntry("an entry needs an event and a reference")
        for currency, (debit, credit) in self.totals().items():
            if debit != credit:
                raise UnbalancedEntry(
                    f"{self.event} {self.reference}: debits {debit} != credits {credit} {currency}"
                )

    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(debits, credits) per currency."""
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for line in self.lines:
            sums[line.currency][0] += line.debit
            sums[line.currency][1] += line.credit
        return {currency: (d, c) for currency, (d, c) in sums.items()}

    def with_id(self, entry_id: int) -> JournalEntry:
        return JournalEntry(
            self.at, self.event, self.reference, self.lines, entry_id, self.reverses, self.memo
        )


def build_entry(
    *,
    at: datetime,
    event: str,
    reference: str,
    currency: str,
    debits: Iterable[tuple[Account, Decimal]],
    credits: Iterable[tuple[Account, Decimal]],
    memo: str = "",
) -> JournalEntry:
    """An entry from (account, amount) pairs: same account and side merged, zeros dropped,
    debits first, each side in chart-number order (the same event always reads the same)."""
    lines: list[JournalLine] = []
    for pairs, is_debit in ((debits, True), (credits, False)):
        merged: dict[Account, Decimal] = defaultdict(Decimal)
        for account, amount in pairs:
            merged[account] += amount
        for account in sorted(merged, key=lambda a: a.number):
            amount = round_money(merged[account], currency)
            if amount == 0:
                continue
            zero = round_money(Decimal(0), currency)
            debit, credit = (amount, zero) if is_debit else (zero, amount)
            lines.append(JournalLine(account, debit, credit, currency))
    return JournalEntry(at, event, reference, tuple(lines), memo=memo)


def reverse(entry: JournalEntry, at: datetime, memo: str = "") -> JournalEntry:
    """The entry that cancels `entry` (each debit becomes a credit and back), same reference.
    Persistence must allow one reversal per entry (a unique index on `reverses`)."""
    if entry.id is None:
        raise ValueError("only a recorded entry (with an id) can be reversed")
    lines = tuple(
        JournalLine(line.account, line.credit, line.debit, line.currency) for line in entry.lines
    )
    note = memo or f"Reverses entry {entry.id} ({entry.event})"
    return JournalEntry(at, REVERSAL, entry.reference, lines, reverses=entry.id, memo=note)


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Debit minus credit: positive for a debit balance (assets, expenses, contra-revenue),
        negative for a credit balance (liabilities, revenue)."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class TrialBalance:
    currency: str
    rows: tuple[TrialBalanceRow, ...]
    total_debit: Decimal
    total_credit: Decimal


def trial_balance(entries: Iterable[JournalEntry], currency: str) -> TrialBalance:
    """Sums per account over `entries` in one currency, accounts in chart order. Persistence
    computes the same in SQL (GROUP BY account); this is the oracle its tests compare with."""
    sums: dict[Account, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for entry in entries:
        for line in entry.lines:
            if line.currency == currency:
                sums[line.account][0] += line.debit
                sums[line.account][1] += line.credit
    zero = round_money(Decimal(0), currency)
    rows = tuple(
        TrialBalanceRow(account, zero + debit, zero + credit)
        for account, (debit, credit) in sorted(sums.items(), key=lambda item: item[0].number)
    )
    return TrialBalance(
        currency,
        rows,
        sum((row.debit for row in rows), zero),
        sum((row.credit for row in rows), zero),
    )


def balance_of(
    entries: Iterable[JournalEntry], account: Account, currency: str, reference: str | None = None
) -> Decimal:
    """Debit minus credit of one account, optionally for one reference (an order's trail)."""
    total = round_money(Decimal(0), currency)
    for entry in entries:
        if reference is not None and entry.reference != reference:
            continue
        for line in entry.lines:
            if line.account is account and line.currency == currency:
                total += line.debit - line.credit
    return total
