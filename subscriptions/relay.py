"""Outbox relay: publishes committed outbox rows to the bus, at least once, in order.

It wakes when this process commits events and otherwise polls, so events written by
other processes (CLI imports, other workers) and those left by a crash are delivered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import outbox
from subscriptions.bus import EventBus

log = logging.getLogger("orchestra.relay")
BATCH = 500
RETENTION = timedelta(days=1)
PURGE_EVERY_SECONDS = 60.0


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
        last_purge = 0.0
        while True:
            try:
                while await self.relay_once() == BATCH:
                    pass
                if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                    await self.purge(utcnow() - RETENTION)
                    last_purge = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)
            self._wakeup.clear()

    async def purge(self, published_before: datetime) -> int:
        """Drop rows published before the cut-off; the outbox is a queue, not an archive."""
        lock = self.db.write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self.db.engine.begin() as conn:
                result = await conn.execute(
                    delete(outbox).where(outbox.c.published_at < published_before)
                )
                return int(result.rowcount or 0)
        finally:
            if lock is not None:
                lock.release()

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
