"""Each worker's reader of the event log: `outbox WHERE seq > last_seen ORDER BY seq`.

It wakes on a ring (this worker's relay, or the Redis doorbell for other workers' events)
and otherwise polls, so with Redis down events arrive a poll interval late, never lost.
A ring may carry the events it announces (the relay has them in hand): when they follow
on from our position they are delivered without a read, otherwise the log is read. Only
contiguous sequence numbers are ever delivered, so the shortcut can skip a read, never
an event. A new worker starts at the log's current end: subscribers see what happens
after they subscribe, not history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from persistence.database import Database
from persistence.outbox_log import LoggedEvent, log_head, read_after
from subscriptions.fanout import Fanout
from subscriptions.faults import FailureLog

log = logging.getLogger("orchestra.bus")
BATCH = 500
MAX_OFFERED = 10_000


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
        self.log_id: str | None = None  # the log's name, read with the starting position
        self.delivered = 0
        self.reads = 0
        self.failures = FailureLog(log, "event log read")
        self._announced = 0  # the highest seq a ring told us exists
        self._must_read = True  # a plain wake-up: something new, read the log
        self._offered: dict[int, LoggedEvent] = {}
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
        """Read the log soon (new events, or a doorbell that was away is back)."""
        self._must_read = True
        self._wakeup.set()

    def offer(self, last: int, events: Iterable[LoggedEvent] = ()) -> None:
        """A ring: events up to `last` exist; `events` are some of them, if the ringer had
        them at hand. Never trusted for completeness: gaps are filled from the log."""
        self._announced = max(self._announced, last)
        floor = self.position or 0
        for event in events:
            if event.seq > floor and len(self._offered) < MAX_OFFERED:
                self._offered[event.seq] = event
        self._wakeup.set()

    async def catch_up(self, read: bool = True) -> int:
        """Deliver what follows our position: offered events first, then (when `read`, or
        when a ring announced more than was offered) one batch from the log."""
        async with self._lock:
            if self.position is None:
                await self._init_position()
            assert self.position is not None
            count = self._deliver_offered()
            if read or self._must_read or self._announced > self.position:
                self._must_read = False
                async with self.db.read() as conn:
                    events = await read_after(conn, self.position, BATCH)
                self.reads += 1
                self._deliver(events)
                count += len(events)
                if len(events) >= BATCH:  # BATCH rows read: there may be more
                    return BATCH  # more to read
            return count

    def _deliver_offered(self) -> int:
        assert self.position is not None
        count = 0
        while (event := self._offered.pop(self.position + 1, None)) is not None:
            self._deliver([event])
            count += 1
        for seq in [s for s in self._offered if s <= self.position]:
            del self._offered[seq]
        return count

    def _deliver(self, events: list[LoggedEvent]) -> None:
        assert self.position is not None
        for event in events:
            if event.seq <= self.position:
                continue
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
            self.delivered += 1

    async def _init_position(self) -> None:
        if self.position is None:
            async with self.db.read() as conn:
                self.position, self.log_id = await log_head(conn)

    async def _run(self) -> None:
        read = True
        while True:
            self._wakeup.clear()
            try:
                while await self.catch_up(read) == BATCH:
                    pass
                self.failures.succeeded()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failures.failed(error)
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval())
                read = False  # a ring: read only if it announced more than it carried
            except TimeoutError:
                read = True  # the poll: whatever rings were lost, the log has it
