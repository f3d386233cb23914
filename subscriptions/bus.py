"""The event bus: the outbox table is the log, Redis (when configured) only a doorbell.

    writer ──(same transaction)──> outbox row
    relay (any worker) ──> stamps `seq` in commit order ──> rings
    tail (every worker) ──> reads `seq > last_seen` ──> local subscribers (bounded queues)

Delivery is at least once across Redis restarts and outages: nothing is marked delivered
because Redis accepted it; each worker reads the log itself. See docs/event-log.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Protocol

from sqlalchemy import insert

from persistence.clock import utcnow
from persistence.database import Database
from persistence.outbox_log import LoggedEvent
from persistence.tables import outbox
from subscriptions.doorbell import Doorbell, NoDoorbell, RedisDoorbell
from subscriptions.fanout import Event, Fanout, KeyOf, Listener
from subscriptions.relay import OutboxRelay
from subscriptions.tail import OutboxTail

DEFAULT_POLL_INTERVAL = 0.5

# Topics whose subscribers usually want one slice: the key each event is routed by.
ROUTES: dict[str, KeyOf] = {
    "availability": lambda event: event["channel"],
    "orders": lambda event: event["order_id"],  # a shopper's app watches one order
    "fulfillments": lambda event: event["location_code"],  # a store watches its location
}


class EventBus(Protocol):
    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Append an event to the log in its own transaction (events that belong with a
        change go through the unit of work's outbox instead, in the change's transaction)."""
        ...

    def subscribe(
        self, topic: str, owner: int | None = None, key: Hashable | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Events on `topic` from now on; `owner` (a token id) lets revocation end it;
        `key` keeps only the events with that route key (ROUTES below), for a topic that
        has one."""
        ...

    async def flush(self) -> None:
        """Sequence what this process committed and deliver it here before returning."""
        ...

    @property
    def subscriber_count(self) -> int: ...


class OutboxBus:
    def __init__(
        self,
        db: Database,
        redis_url: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.db = db
        self.fanout = Fanout(ROUTES)
        self.poll_interval = poll_interval
        self.tail = OutboxTail(db, self.fanout, self._poll_interval)
        self.doorbell: Doorbell = (
            RedisDoorbell(redis_url, lambda: self.tail.log_id) if redis_url else NoDoorbell()
        )
        self.relay = OutboxRelay(db, self._sequenced, poll_interval)
        # Subscriptions served by a shared stream (server/shared_subscriptions.py) beyond
        # the one stream each group holds here: counted so `subscriber_count` (the metric,
        # what tests and benches wait on) still counts subscriptions, not streams.
        self.shared_members: Callable[[], int] = lambda: 0

    async def start(self) -> None:
        await self.tail.start()
        self.relay.start()
        await self.doorbell.start(self.tail.offer, self.tail.wake)

    async def stop(self) -> None:
        await self.doorbell.stop()
        await self.relay.stop()
        await self.tail.stop()

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        lock = self.db.write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    insert(outbox).values(topic=topic, payload=payload, created_at=utcnow())
                )
        finally:
            if lock is not None:
                lock.release()
        self.db.committed()

    def subscribe(
        self, topic: str, owner: int | None = None, key: Hashable | None = None
    ) -> AsyncIterator[Event]:
        return self.fanout.subscribe(topic, owner, key)

    def listen(self, topic: str, listener: Listener) -> None:
        self.fanout.listen(topic, listener)

    async def flush(self) -> None:
        """Sequence what this process committed and deliver it here before returning."""
        await self.relay.relay_once()
        await self.tail.catch_up()

    @property
    def subscriber_count(self) -> int:
        return self.fanout.subscriber_count + self.shared_members()

    def _poll_interval(self) -> float:
        # With the doorbell up, polling is only a safety net; without it, it is the path.
        return self.poll_interval * 4 if self.doorbell.connected else self.poll_interval

    async def _sequenced(self, last_seq: int, events: list[LoggedEvent]) -> None:
        self.tail.offer(last_seq, events)  # this worker: no need to read back what it wrote
        await self.doorbell.ring(last_seq, events)


def create_bus(db: Database, redis_url: str | None, poll_interval: float) -> OutboxBus:
    return OutboxBus(db, redis_url, poll_interval)
