"""The transactional outbox: committed events are relayed once, old ones are purged."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import outbox
from subscriptions.bus import InProcessBus
from subscriptions.relay import OutboxRelay
from tests.conftest import unique


def test_relay_publishes_committed_events_once_in_order_and_purges_old_ones(
    database_url: str,
) -> None:
    async def scenario() -> tuple[list[Any], list[Any], int, int]:
        db = Database(database_url)
        bus = InProcessBus()
        relay = OutboxRelay(db, bus)
        topic = unique("topic")
        received: list[Any] = []

        async def listen() -> None:
            async for event in bus.subscribe(topic):
                received.append(event["n"])

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0)
        try:
            async with db.engine.begin() as conn:
                await relay.relay_once()  # drain whatever earlier tests left
                now = utcnow()
                await conn.execute(
                    insert(outbox),
                    [{"topic": topic, "payload": {"n": n}, "created_at": now} for n in range(3)],
                )
            await relay.relay_once()
            again = await relay.relay_once()
            await asyncio.sleep(0)
            first = list(received)
            purged = await relay.purge(utcnow() + timedelta(seconds=1))
            async with db.engine.connect() as conn:
                left = (
                    await conn.execute(
                        select(func.count()).select_from(outbox).where(outbox.c.topic == topic)
                    )
                ).scalar_one()
            return first, [again], purged, left
        finally:
            listener.cancel()
            await db.dispose()

    received, again, purged, left = asyncio.run(scenario())
    assert received == [0, 1, 2]
    assert again == [0]
    assert purged >= 3
    assert left == 0
