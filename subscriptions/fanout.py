"""Local fan-out: one bounded queue per subscriber, so a slow one never blocks the others.

A subscriber whose queue fills up is cut off instead of silently losing events: its
queue is emptied and its stream ends with `SubscriberOverflow`, which the subscription
resolver turns into an error the client sees (it must resubscribe and re-read state).
Listeners are synchronous callbacks for the server's own consumers (token revocations).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("orchestra.bus")
QUEUE_SIZE = 1000

Event = dict[str, Any]
Listener = Callable[[Event], None]


class SubscriberOverflow(Exception):
    """This subscriber fell more than QUEUE_SIZE events behind and was cut off."""


_OVERFLOW: Event = {}


@dataclass(eq=False, slots=True)
class _Subscriber:
    topic: str
    owner: int | None
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE + 1))


class Fanout:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self.cut_off = 0  # subscribers ended for falling behind (a metric)

    def listen(self, topic: str, listener: Listener) -> None:
        """Call `listener` synchronously for every event on `topic` (server-internal use)."""
        self._listeners.setdefault(topic, []).append(listener)

    def deliver(self, topic: str, payload: Event) -> None:
        for listener in self._listeners.get(topic, ()):
            try:
                listener(payload)
            except Exception:
                log.exception("listener on %s failed", topic)
        for subscriber in list(self._subscribers.get(topic, ())):
            if subscriber.queue.qsize() >= QUEUE_SIZE:
                self._cut_off(subscriber, _OVERFLOW)
                self.cut_off += 1
                log.warning("a subscriber on %s fell %d events behind; cut off", topic, QUEUE_SIZE)
            else:
                subscriber.queue.put_nowait(payload)

    async def subscribe(self, topic: str, owner: int | None = None) -> AsyncIterator[Event]:
        subscriber = _Subscriber(topic, owner)
        self._subscribers.setdefault(topic, set()).add(subscriber)
        try:
            while True:
                event = await subscriber.queue.get()
                if event is _OVERFLOW:
                    raise SubscriberOverflow
                yield event
        finally:
            self._remove(subscriber)

    def drop_owner(self, owner: int) -> int:
        """Stop delivering to every stream subscribed on behalf of `owner` (a token id);
        its connections are being closed, so the streams just wait to be cancelled."""
        dropping = [s for subs in self._subscribers.values() for s in subs if s.owner == owner]
        for subscriber in dropping:
            self._remove(subscriber)
        return len(dropping)

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    def _cut_off(self, subscriber: _Subscriber, reason: Event) -> None:
        self._remove(subscriber)
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(reason)  # the queue holds QUEUE_SIZE + 1: room for this

    def _remove(self, subscriber: _Subscriber) -> None:
        subs = self._subscribers.get(subscriber.topic)
        if subs is not None:
            subs.discard(subscriber)
            if not subs:
                del self._subscribers[subscriber.topic]
