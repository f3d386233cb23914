"""Each worker's reader of the event log: `outbox WHERE seq > last_seen ORDER BY seq`.

It wakes on a ring (this worker's relay, or the Redis doorbell for other workers' events)
and otherwise polls, so with Redis down events arrive a poll interval late, never lost.
A new worker starts at the log's current end: subscribers see what happens after they
subscribe, not history. Events go to local subscribers in `seq` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from persistence.database import Database
from persistence.outbox_log import last_sequenced, read_after
from subscriptions.fanout import Fanout

log = logging.getLogger("orchestra.bus")
BATCH = 500


class OutboxTail:
    def __init__(
        self,
        db: Database,
        fanout: Fanout,
        poll_interval: Callable[[], float],
    ) -> None:
        self.db = db
        self.fanout = fanout
        self.poll_interval = poll_interval
        self.position: int | None = None  # last seq delivered; None until first read
        self.delivered = 0
        self.failures = 0
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Take the starting point now if the database answers, so a subscription made right
        # after start-up sees everything sequenced from here on; otherwise the loop retries.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._init_position(), timeout=5)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wakeup.set()

    async def catch_up(self) -> int:
        """Deliver one batch of events past our position; returns how many."""
        async with self._lock:
            if self.position is None:
                await self._init_position()
            assert self.position is not None
            async with self.db.read() as conn:
                events = await read_after(conn, self.position, BATCH)
            for event in events:
                if event.seq != self.position + 1:
                    # seq is gapless, so only the purge can open a gap: this worker was
                    # stopped (or stuck) for longer than the outbox retention.
                    log.error(
                        "event log gap: events %d-%d were purged before delivery",
                        self.position + 1,
                        event.seq - 1,
                    )
                self.position = event.seq
                self.fanout.deliver(event.topic, event.payload)
            self.delivered += len(events)
            return len(events)

    async def _init_position(self) -> None:
        if self.position is None:
            async with self.db.read() as conn:
                self.position = await last_sequenced(conn)

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                while await self.catch_up() == BATCH:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failures += 1
                log.error("event log read failed, retrying: %s", error.__class__.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval())
