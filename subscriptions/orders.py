"""Order feeds: `orderStatusChanged` and `fulfillmentChanged`, read from the event log.

Each event is the typed domain event the handler raised (decoded with domain.codec), so the
filter reads the same fields the domain wrote. Delivery comes from the bus
(subscriptions/bus.py): the outbox is the log, every worker tails it in `seq` order, which
is commit order per order (the order row is locked by every writer), so a subscriber sees
one order's changes in the order they were committed, at least once, whatever Redis does.

Who sees what is decided once per event by `Viewer`, from the token's bindings (the same
rules as `Actor.sees_order`): a channel-bound token its channel's orders, a customer token
its own shopper's orders, a location-bound token the orders (and the fulfillments) that
have work at its location. An order id that does not exist or is not the caller's is
refused exactly alike, so a subscription tells nothing about orders it may not see.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from domain.access import Actor
from domain.codec import CodecError, decode
from domain.orders.events import FulfillmentStatusChanged, OrderStatusChanged
from domain.orders.lifecycle import FulfillmentStatus, OrderStatus
from persistence.database import Database
from persistence.reads import orders as reads
from persistence.reads.orders import FulfillmentView, OrderView
from persistence.repositories.customers import SqlCustomerRepository
from resolvers import visibility
from resolvers.context import Context
from resolvers.errors import ApiError, forbidden
from resolvers.orders import parse_order_id
from subscriptions.fanout import QUEUE_SIZE, SubscriberOverflow

MAX_REMEMBERED = 10_000  # other shoppers' ids a customer's subscription keeps in mind
E = TypeVar("E", OrderStatusChanged, FulfillmentStatusChanged)


@dataclass(frozen=True, slots=True)
class OrderStatusChange:
    order: OrderView
    previous_status: OrderStatus | None
    status: OrderStatus
    at: datetime


@dataclass(frozen=True, slots=True)
class FulfillmentChange:
    fulfillment: FulfillmentView
    previous_status: FulfillmentStatus | None
    status: FulfillmentStatus
    at: datetime


class Viewer:
    """What one subscriber may see, per event, without reading the order back."""

    def __init__(self, ctx: Context) -> None:
        self.actor: Actor = ctx.actor
        self.db = ctx.db
        self._customer_id: str | None = None
        self._not_mine: set[str] = set()

    async def sees(self, channel: str, customer_id: str | None, locations: tuple[str, ...]) -> bool:
        actor = self.actor
        if not actor.sees_channel(channel):
            return False
        if actor.location is not None and actor.location not in locations:
            return False
        if actor.customer is None:
            return True
        return customer_id is not None and await self._is_mine(customer_id)

    async def _is_mine(self, customer_id: str) -> bool:
        """Whether the event's customer is the token's shopper. A shopper may subscribe
        before their first order creates their customer row: until it exists, each new
        customer id met is checked once (the event was committed before it was delivered,
        so when the row is not there, that customer is someone else)."""
        if self._customer_id is None and customer_id not in self._not_mine:
            email = self.actor.customer
            assert email is not None
            async with self.db.read() as conn:
                found = await SqlCustomerRepository(conn, self.db).by_email(email)
            if found is not None:
                self._customer_id = found.id
            elif len(self._not_mine) < MAX_REMEMBERED:
                self._not_mine.add(customer_id)
        return customer_id == self._customer_id


class SharedOrderReads:
    """The order row read once per event and worker, not once per subscriber: a thousand
    shoppers' apps on one worker receiving one order's change cost one read."""

    def __init__(self, db: Database, keep: int = 2048, ttl: float = 5.0) -> None:
        self.db = db
        self.keep = keep
        self.ttl = ttl
        self._reads: OrderedDict[Hashable, tuple[float, asyncio.Task[OrderView | None]]] = (
            OrderedDict()
        )

    async def view(self, order_id: str, version: Hashable) -> OrderView | None:
        key = (order_id, version)
        now = time.monotonic()
        found = self._reads.get(key)
        if found is None or found[0] < now or found[1].cancelled():
            task = asyncio.ensure_future(self._read(order_id))
            task.add_done_callback(lambda done: self._forget_failed(key, done))
            self._reads[key] = found = (now + self.ttl, task)
            while len(self._reads) > self.keep:
                self._reads.popitem(last=False)
        return await asyncio.shield(found[1])

    def _forget_failed(self, key: Hashable, task: asyncio.Task[OrderView | None]) -> None:
        # A failed read (the database away for a moment) is not kept for the next asker.
        if task.cancelled() or task.exception() is not None:
            entry = self._reads.get(key)
            if entry is not None and entry[1] is task:
                del self._reads[key]

    async def _read(self, order_id: str) -> OrderView | None:
        async with self.db.read() as conn:
            return (await reads.orders_by_ids(conn, [order_id])).get(order_id)


_shared: weakref.WeakKeyDictionary[Database, SharedOrderReads] = weakref.WeakKeyDictionary()


def shared_reads(db: Database) -> SharedOrderReads:
    found = _shared.get(db)
    if found is None:
        found = _shared[db] = SharedOrderReads(db)
    return found


def _too_slow() -> ApiError:
    return ApiError(
        f"This subscription fell more than {QUEUE_SIZE} events behind and was ended; "
        "events were dropped for it. Subscribe again and re-read the current state.",
        "SLOW_CONSUMER",
    )


async def _watched_order(ctx: Context, order_id: str) -> str:
    """The order's id when the caller may see it; the same error whether it does not exist
    or is someone else's."""
    key = parse_order_id(order_id)
    ctx.forget_cached()  # the connection's context may hold the order as an earlier operation read it
    found = await ctx.loaders.order.load(key) if key is not None else None
    if key is None or await visibility.order(ctx, found) is None:
        raise ApiError("No such order.", "NOT_FOUND")
    return key


async def order_status_changed(
    ctx: Context, order_id: str | None
) -> AsyncGenerator[OrderStatusChange, None]:
    """One order's status changes (a shopper's app), or every order the token may see."""
    key = await _watched_order(ctx, order_id) if order_id is not None else None
    viewer = Viewer(ctx)
    orders = shared_reads(ctx.db)
    async for payload in _events(ctx, "orders", key):
        event = _decode(OrderStatusChanged, payload)
        if event is None or (key is not None and event.order_id != key):
            continue
        if not await viewer.sees(event.channel, event.customer_id, event.location_codes):
            continue
        view = await orders.view(event.order_id, payload.get("at"))
        if view is None:
            continue
        ctx.forget_cached()  # the fields below read the order as it is now, not as last time
        yield OrderStatusChange(view, event.previous_status, event.status, event.at)


async def fulfillment_changed(
    ctx: Context, location: str
) -> AsyncGenerator[FulfillmentChange, None]:
    """Work at one location: created, accepted, shipped, handed over, rejected..."""
    if not ctx.actor.sees_location(location):
        raise forbidden("This token may only watch its own location.")
    if location not in (await ctx.reference_data()).locations_by_code:
        raise ApiError(f"Unknown location {location!r}.", "NOT_FOUND")
    viewer = Viewer(ctx)
    async for payload in _events(ctx, "fulfillments", location):
        event = _decode(FulfillmentStatusChanged, payload)
        if event is None or event.location_code != location:
            continue
        if not await viewer.sees(event.channel, event.customer_id, (event.location_code,)):
            continue
        ctx.forget_cached()
        parts: list[FulfillmentView] = await ctx.loaders.order_fulfillments.load(event.order_id)
        part = next((p for p in parts if p.fulfillment.id == event.fulfillment_id), None)
        if part is None:
            continue
        yield FulfillmentChange(part, event.previous_status, event.status, event.at)


async def _events(
    ctx: Context, topic: str, key: str | None
) -> AsyncGenerator[dict[str, Any], None]:
    owner = ctx.token.id if ctx.token is not None else None
    try:
        async for payload in ctx.bus.subscribe(topic, owner, key=key):
            yield payload
    except SubscriberOverflow as overflow:
        raise _too_slow() from overflow


# Decoded events by payload: a worker hands the same payload object to each of its
# subscribers, so an event is decoded once per worker, not once per subscriber. The payload
# is kept with its event so an id reused after it is gone can never match.
_DECODED: OrderedDict[tuple[int, type], tuple[dict[str, Any], Any]] = OrderedDict()
DECODED_KEPT = 4096


def _decode(kind: type[E], payload: dict[str, Any]) -> E | None:
    key = (id(payload), kind)
    found = _DECODED.get(key)
    if found is not None and found[0] is payload:
        event: E | None = found[1]
        return event
    try:
        event = decode(kind, payload)
    except (CodecError, TypeError, ValueError):
        event = None  # not an event of this kind (another writer's row): not ours to show
    _DECODED[key] = (payload, event)
    while len(_DECODED) > DECODED_KEPT:
        _DECODED.popitem(last=False)
    return event
