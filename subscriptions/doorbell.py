"""The Redis doorbell: wakes every worker's tail as soon as new events are sequenced.

Redis carries no events, only "look now" (the last sequence number, for logs). The event
log is the outbox table, so a ring lost while Redis is down or restarting costs latency
(the tail's poll interval), never an event. The listener reconnects by itself with
backoff; the server starts and serves while Redis is down and reports it in /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("orchestra.bus")
CHANNEL_PREFIX = "orchestra:outbox:"
MAX_BACKOFF = 2.0


class Doorbell(Protocol):
    @property
    def configured(self) -> bool: ...
    @property
    def connected(self) -> bool: ...
    @property
    def reconnects(self) -> int: ...
    async def start(self, on_ring: Callable[[], None]) -> None: ...
    async def stop(self) -> None: ...
    async def ring(self, seq: int) -> None: ...


class NoDoorbell:
    """No Redis: one process, whose own relay wakes its tail; others are found by polling."""

    configured = False
    connected = False
    reconnects = 0

    async def start(self, on_ring: Callable[[], None]) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ring(self, seq: int) -> None:
        return None


class RedisDoorbell:
    def __init__(self, url: str, log_name: str) -> None:
        """`log_name` names the event log (the database): deployments that share a Redis
        ring only their own workers."""
        from redis.asyncio import Redis

        self.channel = CHANNEL_PREFIX + log_name

        # Short timeouts: a ring is an optimisation and must never hold the relay up.
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            health_check_interval=5,
            socket_keepalive=True,
        )
        self._listener: asyncio.Task[None] | None = None
        self._connected = False
        self._reconnects = 0
        self._interrupted = False  # a connection was lost, or never made, since start

    configured = True

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def reconnects(self) -> int:
        return self._reconnects

    async def start(self, on_ring: Callable[[], None]) -> None:
        # Never waits for Redis: the server must come up (degraded) while Redis is down.
        self._listener = asyncio.create_task(self._listen(on_ring))

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def ring(self, seq: int) -> None:
        if not self._connected:
            return  # the listener knows Redis is down; every tail is polling meanwhile
        try:
            await self._redis.publish(self.channel, str(seq))
        except Exception as error:
            log.warning("doorbell ring failed (%s); tails fall back to polling", error)

    async def _listen(self, on_ring: Callable[[], None]) -> None:
        backoff = 0.1
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._mark_connected()
                    on_ring()  # catch up on whatever was sequenced while we were away
                    backoff = 0.1
                    await self._pump(pubsub, on_ring)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._connected or not self._interrupted:
                    log.warning("redis doorbell down (%s); polling until it is back", error)
                else:
                    log.debug("redis doorbell still down: %s", error)
            self._connected = False
            self._interrupted = True
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _pump(self, pubsub: Any, on_ring: Callable[[], None]) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            if message is None:
                await pubsub.ping()  # an idle link must still prove it is alive
            elif message.get("type") == "message":
                on_ring()

    def _mark_connected(self) -> None:
        if self._interrupted:
            self._reconnects += 1
            log.info("redis doorbell connected again")
        self._connected = True
