"""What every operation on a placed order shares: finding the order with the actor's
bindings applied (locked for the rest of the unit of work), re-sourcing within daily
capacity, and applying the Effects the domain returns: money (settlement.py), stock and
capacity here, then the order and its events written back.

Locks are taken in the order domain/orders/ports.py states: the order row first, then
positions (key order, one statement), then capacity counters. Gateway calls happen after
the order row is locked and before any position is, so a slow provider never holds stock.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from domain.access import Actor
from domain.errors import DomainError, not_found
from domain.inventory.ingest import PositionState
from domain.inventory.movements import Movement, MovementKind
from domain.orders.effects import Effects, StockEffect, StockEffectKind
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.settlement import book, payment_facts, settle
from domain.orders.handlers.stock import ChannelStock, write_back
from domain.orders.lifecycle import FulfillmentStatus
from domain.orders.model import Fulfillment, Order
from domain.orders.plan import StockSnapshot
from domain.ports import UnitOfWork

F = FulfillmentStatus
# The journal scope of shipped units: event ids `ship:<fulfillment>:<sku>` are unique in it,
# so a shipment can never leave onHand twice.
SHIP_SCOPE = "orders"
# A fulfillment that never got past ASSIGNED and ends like this gives its day's slot back.
_SLOT_RETURNED = frozenset({F.REJECTED, F.CANCELLED})

Statuses = Mapping[str, FulfillmentStatus]


def not_visible(field: Sequence[str], what: str) -> DomainError:
    return DomainError([not_found(field, f"No such {what}.")])


def _sees(actor: Actor, order: Order) -> bool:
    return actor.sees_order(
        order.channel, order.email, [f.location_code for f in order.fulfillments]
    )


async def order_for(
    uow: UnitOfWork, order_id: str, actor: Actor, field: Sequence[str] = ("id",)
) -> Order:
    """The order, locked until commit; NOT_FOUND when it does not exist or the token may not
    see it (another channel, another shopper, no work at the token's location)."""
    order = await uow.orders.get(order_id, for_update=True)
    if order is None or not _sees(actor, order):
        raise not_visible(field, "order")
    return order


async def fulfillment_for(
    uow: UnitOfWork, fulfillment_id: str, actor: Actor
) -> tuple[Order, Fulfillment]:
    """The fulfillment and its order (locked); NOT_FOUND for a location-bound token unless
    the work is at its location, and for another channel's order."""
    order = await uow.orders.by_fulfillment(fulfillment_id, for_update=True)
    if order is None:
        raise not_visible(("id",), "fulfillment")
    fulfillment = order.fulfillment(fulfillment_id)
    if not actor.sees_location(fulfillment.location_code) or not _sees(actor, order):
        raise not_visible(("id",), "fulfillment")
    return order, fulfillment


def statuses(order: Order) -> dict[str, FulfillmentStatus]:
    """The fulfillments' statuses before an operation (capacity slots to give back)."""
    return {f.id: f.status for f in order.fulfillments}


async def within_capacity(
    uow: UnitOfWork,
    order: Order,
    snapshot: StockSnapshot,
    day: date,
    operate: Callable[[Order, StockSnapshot], Effects],
) -> tuple[Order, Effects]:
    """Run a re-sourcing operation on a copy of the order and count its new fulfillments
    against each location's daily capacity; a location found full is marked at capacity and
    the operation runs again from the original (each round drops a location, so it ends)."""
    known = {f.id for f in order.fulfillments}
    while True:
        attempt = copy.deepcopy(order)
        effects = operate(attempt, snapshot)
        counts = Counter(f.location_id for f in attempt.fulfillments if f.id not in known)
        capacities = {
            loc: cap
            for loc in counts
            if (cap := snapshot.locations[loc].daily_capacity) is not None
        }
        full = await uow.stock.take_capacity(counts, capacities, day)
        if not full:
            return attempt, effects
        snapshot = replace(
            snapshot,
            locations={
                loc_id: replace(loc, open_fulfillments=loc.daily_capacity or 0)
                if loc_id in full
                else loc
                for loc_id, loc in snapshot.locations.items()
            },
        )


async def apply(
    uow: UnitOfWork,
    order: Order,
    effects: Effects,
    gateways: Gateways,
    now: datetime,
    before: Statuses,
    stock: ChannelStock | None = None,
) -> None:
    """Everything an operation's Effects ask for, then the order and its events: money at
    the gateway first (settlement.py) and its journal entries, then positions, capacity,
    the order row."""
    since = payment_facts(order)
    await settle(order, effects, gateways, now)
    await book(uow, order, effects, now, since)
    await apply_stock(uow, effects.stock, now, stock)
    await return_slots(uow, order, before)
    await finish(uow, order)


async def finish(uow: UnitOfWork, order: Order) -> None:
    await uow.orders.save(order)
    for event in order.pop_events():
        uow.events.add(event)


async def apply_stock(
    uow: UnitOfWork,
    effects: Sequence[StockEffect],
    now: datetime,
    stock: ChannelStock | None = None,
) -> None:
    """Allocate, release and ship units at their positions, then move channel ATP and the
    availability feed by what changed. Positions are locked here in key order unless
    `stock` already holds them locked. Shipped units leave onHand through the movement
    journal (kind SHIP), so an absolute count taken before the shipment and applied after
    it re-applies the shipment instead of bringing the units back."""
    if not effects and stock is None:
        return
    if stock is None:
        variants = await uow.catalog.variants_by_sku({e.sku for e in effects})
        keys = {(variants[e.sku].id, e.location_id) for e in effects}
        states = await uow.stock.positions([], [], lock=True, include=keys)
        stock = ChannelStock(StockSnapshot({}, {}), None, variants, dict(states), dict(states))
    journal: list[Movement] = []
    for effect in effects:
        key = stock.key(effect.sku, effect.location_id)
        if effect.kind is StockEffectKind.ALLOCATE:
            stock.change(key, allocated=effect.quantity)
        elif effect.kind is StockEffectKind.RELEASE:
            stock.change(key, allocated=-effect.quantity)
        else:
            state = stock.states.get(key) or stock.before.get(key) or PositionState()
            # onHand never goes below zero; the journal keeps the full movement, as an
            # adjustment's does, so a later count re-applies all of it.
            taken = min(effect.quantity, max(0, state.on_hand))
            stock.change(key, allocated=-effect.quantity, on_hand=-taken)
            journal.append(
                Movement(
                    *key,
                    MovementKind.SHIP,
                    -effect.quantity,
                    now,
                    reason=f"fulfillment {effect.fulfillment_id}",
                    event_id=f"ship:{effect.fulfillment_id}:{effect.sku}",
                    scope=SHIP_SCOPE,
                )
            )
    if journal:
        await uow.inventory.claim_events(journal)
    await write_back(uow, stock, now)


async def return_slots(uow: UnitOfWork, order: Order, before: Statuses) -> None:
    """A fulfillment rejected or cancelled before it was accepted gives its slot of the
    location's daily capacity back (counted on the day it was assigned)."""
    by_day: dict[date, Counter[int]] = {}
    for f in order.fulfillments:
        if before.get(f.id) is F.ASSIGNED and f.status in _SLOT_RETURNED:
            by_day.setdefault(f.created_at.date(), Counter())[f.location_id] += 1
    for day, counts in sorted(by_day.items()):
        await uow.stock.return_capacity(counts, day)


def skus_of(fulfillments: Iterable[Fulfillment]) -> set[str]:
    return {line.sku for f in fulfillments for line in f.lines}
