"""Finance types: journal entries with their lines, the trial balance, and the finance
root fields. Readable by unbound tokens holding `finance:read` only (resolvers/finance.py
says why; docs/access.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from domain.ledger.model import JournalEntry as DomainEntry
from domain.ledger.model import JournalLine as DomainLine
from domain.ledger.model import TrialBalance as DomainTrialBalance
from domain.ledger.model import TrialBalanceRow as DomainRow
from resolvers import finance as r
from schema.common import Info, Node, PageInfo
from schema.policy import guard, needs

# The books span every channel: a channel- or location-bound token is refused.
FINANCE = needs("finance:read", unbound_only=True)


@guard(
    account=FINANCE,
    accountNumber=FINANCE,
    accountTitle=FINANCE,
    debit=FINANCE,
    credit=FINANCE,
    currency=FINANCE,
)
@strawberry.type(description="One side of an entry: exactly one of debit and credit is positive.")
class JournalLine:
    @strawberry.field(description="The account's stable code (docs/ledger.md, chart).")
    def account(root: strawberry.Parent[DomainLine]) -> str:  # type: ignore[misc]
        return root.account.value

    @strawberry.field(description="The account's number in the chart, for ERP mapping.")
    def account_number(root: strawberry.Parent[DomainLine]) -> str:  # type: ignore[misc]
        return root.account.number

    @strawberry.field
    def account_title(root: strawberry.Parent[DomainLine]) -> str:  # type: ignore[misc]
        return root.account.title

    @strawberry.field
    def debit(root: strawberry.Parent[DomainLine]) -> Decimal:  # type: ignore[misc]
        return root.debit

    @strawberry.field
    def credit(root: strawberry.Parent[DomainLine]) -> Decimal:  # type: ignore[misc]
        return root.credit

    @strawberry.field
    def currency(root: strawberry.Parent[DomainLine]) -> str:  # type: ignore[misc]
        return root.currency


@guard(
    id=FINANCE,
    at=FINANCE,
    event=FINANCE,
    reference=FINANCE,
    memo=FINANCE,
    reverses=FINANCE,
    lines=FINANCE,
)
@strawberry.type(
    description="One financial event, balanced (debits equal credits per currency) and "
    "immutable: a correction is a new entry that reverses it."
)
class JournalEntry(Node):
    @strawberry.field
    def id(root: strawberry.Parent[DomainEntry]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.entry_id(root))

    @strawberry.field
    def at(root: strawberry.Parent[DomainEntry]) -> datetime:  # type: ignore[misc]
        return root.at

    @strawberry.field(
        description="payment.authorized, payment.voided, payment.captured, order.shipped, "
        "refund, appeasement, return.received, inventory.written_off or reversal."
    )
    def event(root: strawberry.Parent[DomainEntry]) -> str:  # type: ignore[misc]
        return root.event

    @strawberry.field(description="The order number (a location code for stock events).")
    def reference(root: strawberry.Parent[DomainEntry]) -> str:  # type: ignore[misc]
        return root.reference

    @strawberry.field
    def memo(root: strawberry.Parent[DomainEntry]) -> str:  # type: ignore[misc]
        return root.memo

    @strawberry.field(description="The entry this one reverses, for a reversal.")
    def reverses(root: strawberry.Parent[DomainEntry]) -> strawberry.ID | None:  # type: ignore[misc]
        reversed_id = r.reversed_id(root)
        return None if reversed_id is None else strawberry.ID(reversed_id)

    @strawberry.field(description="Debits first, each side in chart order.")
    def lines(root: strawberry.Parent[DomainEntry]) -> list[JournalLine]:  # type: ignore[misc]
        return list(root.lines)  # type: ignore[arg-type]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DomainEntry)


@guard(cursor=FINANCE, node=FINANCE)
@strawberry.type
class JournalEntryEdge:
    cursor: str
    node: JournalEntry


@guard(edges=FINANCE, pageInfo=FINANCE, totalCount=FINANCE)
@strawberry.type
class JournalEntryConnection:
    edges: list[JournalEntryEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@guard(
    account=FINANCE,
    accountNumber=FINANCE,
    debit=FINANCE,
    credit=FINANCE,
    balance=FINANCE,
)
@strawberry.type
class TrialBalanceRow:
    @strawberry.field
    def account(root: strawberry.Parent[DomainRow]) -> str:  # type: ignore[misc]
        return root.account.value

    @strawberry.field
    def account_number(root: strawberry.Parent[DomainRow]) -> str:  # type: ignore[misc]
        return root.account.number

    @strawberry.field
    def debit(root: strawberry.Parent[DomainRow]) -> Decimal:  # type: ignore[misc]
        return root.debit

    @strawberry.field
    def credit(root: strawberry.Parent[DomainRow]) -> Decimal:  # type: ignore[misc]
        return root.credit

    @strawberry.field(description="Debit minus credit: positive for a debit balance.")
    def balance(root: strawberry.Parent[DomainRow]) -> Decimal:  # type: ignore[misc]
        return root.balance


@guard(currency=FINANCE, rows=FINANCE, totalDebit=FINANCE, totalCredit=FINANCE)
@strawberry.type(description="Sums per account over every entry; totalDebit == totalCredit.")
class TrialBalance:
    @strawberry.field
    def currency(root: strawberry.Parent[DomainTrialBalance]) -> str:  # type: ignore[misc]
        return root.currency

    @strawberry.field(description="Accounts that moved, in chart order.")
    def rows(root: strawberry.Parent[DomainTrialBalance]) -> list[TrialBalanceRow]:  # type: ignore[misc]
        return list(root.rows)  # type: ignore[arg-type]

    @strawberry.field
    def total_debit(root: strawberry.Parent[DomainTrialBalance]) -> Decimal:  # type: ignore[misc]
        return root.total_debit

    @strawberry.field
    def total_credit(root: strawberry.Parent[DomainTrialBalance]) -> Decimal:  # type: ignore[misc]
        return root.total_credit


@guard(journalEntries=FINANCE, trialBalance=FINANCE)
@strawberry.type
class FinanceQuery:
    @strawberry.field(
        description="Journal entries oldest first (the order they were recorded in); one "
        "order's trail with `reference` set to its number."
    )
    async def journal_entries(
        self,
        info: Info,
        reference: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> JournalEntryConnection:
        return await r.journal_entries(info.context, reference, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def trial_balance(self, info: Info, currency: str) -> TrialBalance:
        return await r.trial_balance(info.context, currency)  # type: ignore[return-value]
