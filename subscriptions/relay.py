"""Outbox relay: gives committed outbox rows their place in the event log (`seq`).

Every worker runs one. It wakes when this process commits events and otherwise polls, so
rows written by other processes (CLI imports, a worker that died mid-relay) are sequenced
too. After each batch it rings: the local tail reads at once, and other workers' tails
through the Redis doorbell. Sequencing is the only write; delivery is the tails' job, so
an event is "published" once it is in the log, whatever Redis is doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from persistence.clock import utcnow
from persistence.database import Database
from persistence.outbox_log import LoggedEvent, purge_sequenced_before, sequence_batch
from subscriptions.background import Background
from subscriptions.faults import FailureLog

log = logging.getLogger("orchestra.relay")
BATCH = 1000
RETENTION = timedelta(days=1)
PURGE_EVERY_SECONDS = 60.0


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        on_sequenced: Callable[[int, list[LoggedEvent]], Awaitable[None]] | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self.db = db
        self.on_sequenced = on_sequenced
        self.poll_interval = poll_interval
        self.failures = FailureLog(log, "outbox relay")
        self._wakeup = asyncio.Event()
        self._loop = Background()
        db.on_commit(self._wakeup.set)

    def start(self) -> None:
        self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop()  # after the batch under way, if any

    async def _run(self) -> None:
        last_purge = 0.0
        while True:
            self._wakeup.clear()
            try:
                while await self.relay_once() >= BATCH:
                    pass
                if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                    await self.purge(utcnow() - RETENTION)
                    last_purge = time.monotonic()
                self.failures.succeeded()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failures.failed(error)
            await self._loop.pause(self.poll_interval, self._wakeup)

    async def relay_once(self) -> int:
        """Sequence one batch of committed rows; returns how many events they carried
        (BATCH or more when the batch was full)."""
        async with self._writer(), self.db.engine.begin() as conn:
            events, last = await sequence_batch(conn, utcnow(), BATCH)
        if events and self.on_sequenced is not None:
            await self.on_sequenced(last, events)
        return len(events)

    async def purge(self, sequenced_before: datetime) -> int:
        """Drop rows sequenced before the cut-off; the outbox is a log with a horizon."""
        async with self._writer(), self.db.engine.begin() as conn:
            return await purge_sequenced_before(conn, sequenced_before)

    @contextlib.asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        lock = self.db.write_lock  # SQLite: one writer per process, in-process queueing
        if lock is None:
            yield
            return
        async with lock:
            yield
