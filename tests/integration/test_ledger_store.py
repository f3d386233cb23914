"""The journal on the database under test: entries round-trip exactly, one reversal per
entry, and the SQL trial balance equals the domain's oracle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.ledger.accounts import Account
from domain.ledger.model import JournalEntry, build_entry, reverse, trial_balance
from persistence.database import Database
from persistence.uow import SqlUnitOfWork

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def _append(db: Database, entry: JournalEntry) -> None:
    async with SqlUnitOfWork(db) as uow:
        await uow.ledger.append(entry)
        await uow.commit()


def test_entries_round_trip_and_the_trial_balance_matches_the_oracle(database_url: str) -> None:
    async def run() -> None:
        db = Database(database_url)
        reference = f"T-{id(db)}"
        capture = build_entry(
            at=AT,
            event="payment.captured",
            reference=reference,
            currency="EUR",
            debits=[(Account.PAYMENT_CLEARING, Decimal("119.99"))],
            credits=[(Account.ACCOUNTS_RECEIVABLE, Decimal("119.99"))],
        )
        try:
            async with SqlUnitOfWork(db) as uow:
                before = await uow.ledger.trial_balance("EUR")
                first = await uow.ledger.append(capture)
                await uow.ledger.append(reverse(first, AT, "wrong amount"))
                await uow.commit()
            async with SqlUnitOfWork(db) as uow:
                trail = await uow.ledger.trail(reference)
                after = await uow.ledger.trial_balance("EUR")
            assert [e.event for e in trail] == ["payment.captured", "reversal"]
            assert trail[0].lines == capture.lines
            assert trail[1].reverses == first.id
            assert after.total_debit == after.total_credit
            assert after.total_debit - before.total_debit == Decimal("239.98")
            assert trial_balance(trail, "EUR").total_debit == Decimal("239.98")
            with pytest.raises(DomainError):
                await _append(db, reverse(first, AT, "twice"))
        finally:
            await db.dispose()

    asyncio.run(run())
