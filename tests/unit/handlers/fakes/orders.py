"""Orders fakes: carts, the order aggregate, stock as orders use it, channel settings.

Stock shares the inventory fake's positions and supply, so inventory and orders handlers
see one another's writes as they would in the database.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from domain.catalog.model import Variant
from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView
from domain.orders.cart import Cart
from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus
from domain.orders.model import Order
from domain.orders.plan import IncomingStock
from domain.orders.ports import ChannelOrderSettings, Hold, PositionDelta
from domain.orders.settings import default_settings
from tests.unit.handlers.fakes.catalog import FakeCatalog
from tests.unit.handlers.fakes.inventory import FakeChannelAtp, FakeInventory


class FakeCarts:
    STATE = ("carts",)

    def __init__(self) -> None:
        self.carts: dict[str, Cart] = {}

    async def get(self, cart_id: str, *, for_update: bool = False) -> Cart | None:
        return self.carts.get(cart_id)

    async def add(self, cart: Cart, now: datetime) -> None:
        assert cart.id not in self.carts
        self.carts[cart.id] = cart

    async def save(self, cart: Cart, now: datetime) -> None:
        assert cart.id in self.carts
        self.carts[cart.id] = cart


class FakeOrders:
    STATE = ("orders", "channel_ids", "numbers")

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.channel_ids: dict[str, int] = {}
        self.numbers: dict[int, int] = {}

    def _copy(self, order: Order | None) -> Order | None:
        return copy.deepcopy(order) if order is not None else None

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return self._copy(self.orders.get(order_id))

    async def by_number(self, number: str) -> Order | None:
        return self._copy(next((o for o in self.orders.values() if o.number == number), None))

    async def by_fulfillment(
        self, fulfillment_id: str, *, for_update: bool = False
    ) -> Order | None:
        found = next(
            (
                o
                for o in self.orders.values()
                if any(f.id == fulfillment_id for f in o.fulfillments)
            ),
            None,
        )
        return self._copy(found)

    async def by_external_reference(self, channel_id: int, reference: str) -> Order | None:
        found = next(
            (
                o
                for o in self.orders.values()
                if o.external_reference == reference and self.channel_ids[o.id] == channel_id
            ),
            None,
        )
        return self._copy(found)

    async def next_number(self, channel_id: int) -> int:
        self.numbers[channel_id] = self.numbers.get(channel_id, 1000) + 1
        return self.numbers[channel_id]

    async def add(self, order: Order, *, channel_id: int, cart_id: str | None = None) -> None:
        assert order.id not in self.orders
        self.orders[order.id] = _stored(order)
        self.channel_ids[order.id] = channel_id

    async def save(self, order: Order) -> None:
        assert order.id in self.orders
        self.orders[order.id] = _stored(order)

    async def with_backorders(self, skus: Iterable[str], limit: int) -> list[str]:
        wanted = set(skus)
        found = [o.id for o in self.orders.values() if any(b.sku in wanted for b in o.backorders)]
        return sorted(found)[:limit]

    async def ready_pickups(
        self, ready_before: datetime, limit: int, *, channel_id: int | None = None
    ) -> list[str]:
        ready = [
            (f.ready_at, f.id)
            for o in self.orders.values()
            if channel_id is None or self.channel_ids[o.id] == channel_id
            for f in o.fulfillments
            if f.method is FulfillmentMethod.PICKUP
            and f.status is FulfillmentStatus.READY_FOR_PICKUP
            and f.ready_at is not None
            and f.ready_at < ready_before
        ]
        return [fid for _, fid in sorted(ready)[:limit]]

    async def backordered_skus(self, limit: int) -> list[str]:
        skus = {b.sku for o in self.orders.values() for b in o.backorders if b.quantity > 0}
        return sorted(skus)[:limit]


def _stored(order: Order) -> Order:
    """What the database keeps of an order: not the events raised on it (those went to the
    outbox), so an order read back raises only what happens to it next."""
    kept = copy.deepcopy(order)
    kept.events = []
    if kept.payment is not None:
        kept.payment.events = []
    return kept


class FakeStock:
    STATE = ("holds_by_id", "next_hold", "counters")

    def __init__(
        self,
        catalog: FakeCatalog,
        inventory: FakeInventory,
        channel_atp: FakeChannelAtp,
        orders: FakeOrders,
    ) -> None:
        self.catalog = catalog
        self.inventory = inventory
        self.channel_atp = channel_atp
        self.orders = orders
        self.holds_by_id: dict[int, Hold] = {}
        self.next_hold = 1
        self.counters: dict[tuple[int, date], int] = {}

    async def view(self, channel_id: int) -> InventoryView | None:
        return self.channel_atp.by_channel.get(channel_id)

    async def positions(
        self,
        variant_ids: Sequence[int],
        location_ids: Sequence[int],
        *,
        lock: bool,
        include: Iterable[PositionKey] = (),
    ) -> dict[PositionKey, PositionState]:
        extra = set(include)
        return {
            key: state
            for key, state in sorted(self.inventory.positions.items())
            if key in extra
            or (
                key[0] in variant_ids
                and key[1] in location_ids
                and (state.available > 0 or state.reserved > 0)
            )
        }

    async def adjust(self, deltas: Mapping[PositionKey, PositionDelta], now: datetime) -> None:
        for key, d in deltas.items():
            held = self.inventory.positions[key]
            self.inventory.positions[key] = replace(
                held,
                allocated=held.allocated + d.allocated,
                reserved=held.reserved + d.reserved,
                on_hand=held.on_hand + d.on_hand,
            )

    async def holds(self, cart_id: str) -> list[Hold]:
        return [h for h in self.holds_by_id.values() if h.cart_id == cart_id]

    async def release_holds(
        self, keys: Iterable[PositionKey], cart_id: str | None, now: datetime
    ) -> list[Hold]:
        wanted = set(keys)
        gone = [
            h
            for h in self.holds_by_id.values()
            if h.key in wanted and (h.cart_id == cart_id or h.expires_at <= now)
        ]
        for hold in gone:
            del self.holds_by_id[hold.id]
        return gone

    async def add_holds(
        self, cart_id: str, holds: Mapping[PositionKey, int], expires_at: datetime
    ) -> None:
        for key, quantity in sorted(holds.items()):
            if quantity > 0:
                self.holds_by_id[self.next_hold] = Hold(
                    self.next_hold, cart_id, key, quantity, expires_at
                )
                self.next_hold += 1

    async def expired_holds(self, now: datetime, limit: int) -> list[Hold]:
        expired = [h for h in self.holds_by_id.values() if h.expires_at <= now]
        return sorted(expired, key=lambda h: (h.expires_at, h.id))[:limit]

    async def delete_expired(self, ids: Sequence[int], now: datetime) -> list[Hold]:
        gone = [
            self.holds_by_id[i]
            for i in ids
            if i in self.holds_by_id and self.holds_by_id[i].expires_at <= now
        ]
        for hold in gone:
            del self.holds_by_id[hold.id]
        return gone

    async def incoming(
        self, variant_ids: Sequence[int], location_ids: Sequence[int], today: date, *, lock: bool
    ) -> list[IncomingStock]:
        return [
            IncomingStock(self.catalog.sku(v), loc, quantity, expected)
            for (v, loc), quantity, expected, _ in self.inventory.incoming
            if v in variant_ids and loc in location_ids and expected >= today
        ]

    async def backordered(self, skus: Iterable[str]) -> dict[str, int]:
        wanted = set(skus)
        totals: dict[str, int] = {}
        for order in self.orders.orders.values():
            for b in order.backorders:
                if b.sku in wanted:
                    totals[b.sku] = totals.get(b.sku, 0) + b.quantity
        return totals

    async def capacity_used(self, location_ids: Sequence[int], day: date) -> dict[int, int]:
        return {loc: n for (loc, d), n in self.counters.items() if d == day and loc in location_ids}

    async def take_capacity(
        self, counts: Mapping[int, int], capacities: Mapping[int, int], day: date
    ) -> set[int]:
        wanted = {loc: n for loc, n in counts.items() if n > 0 and loc in capacities}
        full = {
            loc
            for loc, n in wanted.items()
            if self.counters.get((loc, day), 0) + n > capacities[loc]
        }
        if not full:
            for loc, n in wanted.items():
                self.counters[(loc, day)] = self.counters.get((loc, day), 0) + n
        return full

    async def return_capacity(self, counts: Mapping[int, int], day: date) -> None:
        for loc, n in counts.items():
            self.counters[(loc, day)] = max(0, self.counters.get((loc, day), 0) - n)


class FakeChannelSettings:
    STATE = ("configured", "prices_by_channel")

    def __init__(self, catalog: FakeCatalog) -> None:
        self.catalog = catalog
        self.configured: dict[str, ChannelOrderSettings] = {}
        self.prices_by_channel: dict[int, dict[str, Decimal]] = {}

    async def settings(self, channel: str) -> ChannelOrderSettings | None:
        if channel in self.configured:
            return self.configured[channel]
        found = self.catalog.channels.get(channel)
        if found is None:
            return None
        return default_settings(found.code, found.currency, found.id)

    async def save(self, settings: ChannelOrderSettings, now: datetime) -> None:
        self.configured[settings.channel] = settings

    async def prices(self, channel_id: int, skus: Iterable[str]) -> dict[str, Decimal]:
        listed = self.prices_by_channel.get(channel_id, {})
        return {sku: listed[sku] for sku in skus if sku in listed}

    async def sellable(
        self, channel_id: int, skus: Iterable[str]
    ) -> dict[str, tuple[Variant, Decimal]]:
        listed = self.prices_by_channel.get(channel_id, {})
        return {
            sku: (self.catalog.variants[sku], listed[sku])
            for sku in skus
            if sku in listed and sku in self.catalog.variants
        }
