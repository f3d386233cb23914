"""The Redis doorbell: wakes every worker's tail as soon as new events are sequenced.

A ring says "the log now reaches seq N" and, when the batch is small, carries the events
themselves so other workers can deliver without reading them back. It is never the
record: the outbox table is, and tails only deliver contiguous sequence numbers, filling
any gap from the log. So a ring lost while Redis is down or restarting costs latency
(the tail's poll interval), never an event. The listener reconnects by itself with
backoff; the server starts and serves while Redis is down and reports it in /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from persistence.outbox_log import LoggedEvent

log = logging.getLogger("orchestra.bus")
CHANNEL_PREFIX = "orchestra:outbox:"
MAX_BACKOFF = 2.0
MAX_CARRIED_BYTES = 64 * 1024  # bigger batches ring bare; tails read them from the log

Offer = Callable[[int, list[LoggedEvent]], None]
Wake = Callable[[], None]


class Doorbell(Protocol):
    @property
    def configured(self) -> bool: ...
    @property
    def connected(self) -> bool: ...
    @property
    def reconnects(self) -> int: ...
    async def start(self, offer: Offer, wake: Wake) -> None: ...
    async def stop(self) -> None: ...
    async def ring(self, last: int, events: list[LoggedEvent]) -> None: ...


class NoDoorbell:
    """No Redis: one process, whose own relay wakes its tail; others are found by polling."""

    configured = False
    connected = False
    reconnects = 0

    async def start(self, offer: Offer, wake: Wake) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ring(self, last: int, events: list[LoggedEvent]) -> None:
        return None


def encode_ring(last: int, events: list[LoggedEvent]) -> str:
    carried = json.dumps(
        {"last": last, "events": [[e.seq, e.topic, e.payload] for e in events]},
        separators=(",", ":"),
    )
    if len(carried) <= MAX_CARRIED_BYTES:
        return carried
    return json.dumps({"last": last})


def decode_ring(data: bytes | str) -> tuple[int, list[LoggedEvent]]:
    message = json.loads(data)
    events = [
        LoggedEvent(int(seq), str(topic), payload)
        for seq, topic, payload in message.get("events", ())
    ]
    return int(message["last"]), events


class RedisDoorbell:
    configured = True

    def __init__(self, url: str, log_id: Callable[[], str | None]) -> None:
        """`log_id` gives the event log's random id once the tail has read it: the
        channel is named after it, so databases that share a Redis (two deployments, two
        developers' machines) never take each other's rings or carried events."""
        from redis.asyncio import Redis

        self._log_id = log_id
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

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def reconnects(self) -> int:
        return self._reconnects

    async def start(self, offer: Offer, wake: Wake) -> None:
        # Never waits for Redis: the server must come up (degraded) while Redis is down.
        self._listener = asyncio.create_task(self._listen(offer, wake))

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    @property
    def channel(self) -> str | None:
        log_id = self._log_id()
        return None if log_id is None else CHANNEL_PREFIX + log_id

    async def ring(self, last: int, events: list[LoggedEvent]) -> None:
        channel = self.channel
        if not self._connected or channel is None:
            return  # the listener knows Redis is down; every tail is polling meanwhile
        try:
            await self._redis.publish(channel, encode_ring(last, events))
        except Exception as error:
            log.warning("doorbell ring failed (%s); tails fall back to polling", error)

    async def _listen(self, offer: Offer, wake: Wake) -> None:
        backoff = 0.1
        while True:
            channel = self.channel
            if channel is None:  # the database has not told us the log's name yet
                await asyncio.sleep(0.2)
                continue
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    self._mark_connected()
                    wake()  # catch up on whatever was sequenced while we were away
                    backoff = 0.1
                    await self._pump(pubsub, offer, wake)
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

    async def _pump(self, pubsub: Any, offer: Offer, wake: Wake) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            if message is None:
                await pubsub.ping()  # an idle link must still prove it is alive
            elif message.get("type") == "message":
                try:
                    last, events = decode_ring(message["data"])
                except (ValueError, KeyError, TypeError):
                    wake()  # not ours to understand: read the log
                else:
                    offer(last, events)

    def _mark_connected(self) -> None:
        if self._interrupted:
            self._reconnects += 1
            log.info("redis doorbell connected again")
        self._connected = True
