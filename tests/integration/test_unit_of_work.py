"""The SQL unit of work writes the events a use case raised to the outbox at commit, in
the same transaction, and nothing when the use case fails."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from domain.events import DomainEvent
from persistence.database import Database
from persistence.outbox_log import payloads
from persistence.tables import outbox
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Charged(DomainEvent):
    topic: ClassVar[str] = "test-unit-of-work"

    run: str
    n: int
    amount: Decimal
    at: datetime


async def _rows(db: Database, run: str) -> list[dict[str, Any]]:
    """The run's events as the outbox holds them: a row per commit's run of one topic."""
    async with db.read() as conn:
        query = select(outbox.c.payload, outbox.c.events).where(outbox.c.topic == Charged.topic)
        found: list[dict[str, Any]] = []
        for row in await conn.execute(query.order_by(outbox.c.id)):
            events = payloads(row.payload, row.events)
            assert len(events) == row.events
            if events[0]["run"] == run:
                found += events
    return found


async def _raise_then_fail(db: Database, run: str) -> None:
    async with SqlUnitOfWork(db) as uow:
        uow.events.add(Charged(run=run, n=1, amount=Decimal("1"), at=AT))
        raise RuntimeError("the use case failed")


def test_committed_events_become_outbox_rows_in_order_and_failed_ones_vanish(
    database_url: str,
) -> None:
    run = unique("run")

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        db = Database(database_url)
        try:
            with pytest.raises(RuntimeError, match="failed"):
                await _raise_then_fail(db, run)
            after_failure = await _rows(db, run)
            async with SqlUnitOfWork(db) as uow:
                for n in (1, 2):
                    uow.events.add(Charged(run=run, n=n, amount=Decimal("9.90"), at=AT))
                await uow.commit()
            return after_failure, await _rows(db, run)
        finally:
            await db.dispose()

    after_failure, committed = asyncio.run(scenario())
    assert after_failure == []
    assert committed == [
        {"run": run, "n": n, "amount": "9.90", "at": "2026-03-02T12:00:00+00:00"} for n in (1, 2)
    ]
