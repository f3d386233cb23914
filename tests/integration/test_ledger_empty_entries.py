"""An event worth nothing is recorded without lines and still shows in the trail, on both
databases (PostgreSQL appends an entry and its lines in one statement)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from domain.ledger.postings import PaymentCaptured, Shipped, ShippedLine
from domain.ledger.recording import record
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_an_entry_without_lines_round_trips_next_to_one_with_lines(database_url: str) -> None:
    reference = unique("EMPTY")
    free = Shipped(
        reference=reference,
        currency="JPY",
        at=AT,
        lines=(ShippedLine("GIFT", 1, Decimal(0), Decimal(0), Decimal(0), Decimal(0)),),
    )
    paid = PaymentCaptured(reference=reference, currency="JPY", at=AT, amount=Decimal(1200))

    async def run() -> None:
        db = Database(database_url)
        try:
            async with SqlUnitOfWork(db) as uow:
                empty = await record(uow, free)
                full = await record(uow, paid)
                await uow.commit()
            async with SqlUnitOfWork(db) as uow:
                trail = await uow.ledger.trail(reference)
            assert [(e.id, e.event, len(e.lines)) for e in trail] == [
                (empty.id, "order.shipped", 0),
                (full.id, "payment.captured", 4),
            ]
            assert trail[1].lines == full.lines  # JPY amounts on their 0-decimal grid
            assert str(trail[1].lines[0].debit) == "1200"
        finally:
            await db.dispose()

    asyncio.run(run())
