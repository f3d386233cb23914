"""Outbox relay: publishes committed outbox rows to the bus, at least once, in order.

It wakes when this process commits events and otherwise polls, so events written by
other processes (CLI imports, other workers) and those left by a crash are delivered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import select, update

from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import outbox
from subscriptions.bus import EventBus

log = logging.getLogger("orchestra.relay")
BATCH = 500


class OutboxRelay:
    def __init__(self, db: Database, bus: EventBus, poll_interval: float = 1.0) -> None:
        self.db = db
        self.bus = bus
        self.poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        db.on_commit(self._wakeup.set)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await self.relay_once() == BATCH:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)
            self._wakeup.clear()

    async def relay_once(self) -> int:
        """Publish one batch; rows are marked only after the bus accepted them."""
        lock = self.db.write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self.db.engine.begin() as conn:
                query = (
                    select(outbox.c.id, outbox.c.topic, outbox.c.payload)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(BATCH)
                )
                if not self.db.is_sqlite:
                    query = query.with_for_update(skip_locked=True)
                rows: list[Any] = list(await conn.execute(query))
                for row in rows:
                    await self.bus.publish(row.topic, row.payload)
                if rows:
                    await conn.execute(
                        update(outbox)
                        .where(outbox.c.id.in_([row.id for row in rows]))
                        .values(published_at=utcnow())
                    )
                return len(rows)
        finally:
            if lock is not None:
                lock.release()
