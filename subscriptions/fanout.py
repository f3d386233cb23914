"""Local fan-out: one bounded queue per subscriber, so a slow one never blocks the others.

A subscriber whose queue fills up is cut off instead of silently losing events: its
queue is emptied and its stream ends with `SubscriberOverflow`, which the subscription
resolver turns into an error the client sees (it must resubscribe and re-read state).
Listeners are synchronous callbacks for the server's own consumers (token revocations).

A topic may be routed by a key taken from each event (the channel for `availability`; an
order id for order feeds): a subscriber that gives a key is woken only by events with that
key, so a thousand customers each watching their own order cost one queue put per event,
not a thousand. A subscriber without a key gets every event of the topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("orchestra.bus")
QUEUE_SIZE = 1000

Event = dict[str, Any]
Listener = Callable[[Event], None]
KeyOf = Callable[[Event], Hashable]


class SubscriberOverflow(Exception):
    """This subscriber fell more than QUEUE_SIZE events behind and was cut off."""


_OVERFLOW: Event = {}


@dataclass(eq=False, slots=True)
class _Subscriber:
    topic: str
    owner: int | None
    key: Hashable | None
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE + 1))


class Fanout:
    def __init__(self, routes: dict[str, KeyOf] | None = None) -> None:
        # (topic, key) -> subscribers; key None: every event of the topic
        self._subscribers: dict[tuple[str, Hashable | None], set[_Subscriber]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self._routes: dict[str, KeyOf] = dict(routes or {})
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
        for subscriber in self._targets(topic, payload):
            if subscriber.queue.qsize() >= QUEUE_SIZE:
                self._cut_off(subscriber, _OVERFLOW)
                self.cut_off += 1
                log.warning("a subscriber on %s fell %d events behind; cut off", topic, QUEUE_SIZE)
            else:
                subscriber.queue.put_nowait(payload)

    def _targets(self, topic: str, payload: Event) -> list[_Subscriber]:
        targets = list(self._subscribers.get((topic, None), ()))
        key_of = self._routes.get(topic)
        if key_of is not None:
            try:
                key = key_of(payload)
            except (KeyError, TypeError):
                key = None  # not routable: only the topic-wide subscribers see it
            if key is not None:
                targets.extend(self._subscribers.get((topic, key), ()))
        return targets

    async def subscribe(
        self,
        topic: str,
        owner: int | None = None,
        key: Hashable | None = None,
        ready: Callable[[], None] | None = None,
    ) -> AsyncIterator[Event]:
        """Events on `topic` from now on (only those whose route key is `key`, when the
        topic is routed and a key is given); `ready` is called once the stream is
        registered, i.e. from when on no event can be missed."""
        if key is not None and topic not in self._routes:
            key = None  # an unrouted topic cannot filter: deliver everything
        subscriber = _Subscriber(topic, owner, key)
        self._subscribers.setdefault((topic, key), set()).add(subscriber)
        if ready is not None:
            ready()
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
        slot = (subscriber.topic, subscriber.key)
        subs = self._subscribers.get(slot)
        if subs is not None:
            subs.discard(subscriber)
            if not subs:
                del self._subscribers[slot]
