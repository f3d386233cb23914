"""Event bus: in-process by default; Redis pub/sub when ORCHESTRA_REDIS_URL is set.

Both deliver to local subscribers through bounded queues; with Redis every worker
receives every event, so a subscriber on any worker sees changes made on any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

log = logging.getLogger("orchestra.bus")
QUEUE_SIZE = 1000
CHANNEL_PREFIX = "orchestra:"


class EventBus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...
    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]: ...
    @property
    def subscriber_count(self) -> int: ...


class InProcessBus:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.deliver(topic, payload)

    def deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for queue in list(self._queues.get(topic, ())):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("subscriber on %s is too slow; event dropped for it", topic)

    async def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(topic, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[topic].discard(queue)

    @property
    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._queues.values())


class RedisBus:
    """Publishes to Redis; one listener per process fans messages out to local queues."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis: Redis = Redis.from_url(url)
        self._local = InProcessBus()
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._redis.publish(CHANNEL_PREFIX + topic, json.dumps(payload))

    def subscribe(self, topic: str) -> AsyncIterator[dict[str, Any]]:
        return self._local.subscribe(topic)

    @property
    def subscriber_count(self) -> int:
        return self._local.subscriber_count

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        topic = message["channel"].decode()[len(CHANNEL_PREFIX) :]
                        self._local.deliver(topic, json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis listener failed; reconnecting")
                await asyncio.sleep(1)


def create_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()
