"""What a cart can be promised right now: delivery options with dates and shipment counts,
pickup options at nearby stores, and a promise per line. Pure: stock, configuration and the
clock come in as arguments.

Dates (domain/orders/delivery.py) are those of the farthest shipment; backordered units start
when their supply is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.errors import invalid
from domain.locations.model import Address, GeoPoint, Location, distance_km
from domain.orders.delivery import (
    DeliveryOptionConfig,
    PickupConfig,
    delivery_window,
    ready_by,
)
from domain.orders.errors import raise_if
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.plan import SourcingLine, SourcingPlan, StockSnapshot
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SourcingConfig, can_pickup_at, can_ship_from


@dataclass(frozen=True, slots=True)
class DeliveryPromise:
    code: str
    name: str
    price: Decimal
    estimated_from: date
    estimated_to: date
    shipment_count: int


@dataclass(frozen=True, slots=True)
class PickupPromise:
    location: Location
    distance_km: float | None
    ready_by: datetime
    all_lines_available: bool
    unavailable_skus: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LinePromise:
    line_id: str
    sku: str
    ship_available: bool
    pickup_locations: int
    backorder_date: date | None


@dataclass(frozen=True, slots=True)
class CartPromises:
    delivery_options: tuple[DeliveryPromise, ...]
    pickup_options: tuple[PickupPromise, ...]
    lines: tuple[LinePromise, ...]


def promise_cart(
    lines: Sequence[SourcingLine],
    stock: StockSnapshot,
    sourcing: SourcingConfig,
    delivery: Sequence[DeliveryOptionConfig],
    pickup: PickupConfig,
    *,
    destination: Address | None,
    now: datetime,
    near: GeoPoint | None = None,
) -> CartPromises:
    """Promises for a cart; `near` (the shopper's position) ranks pickup locations when there
    is no shipping address with coordinates yet."""
    to = destination.geo if destination is not None else None
    plan = source(lines, stock, sourcing, to) if lines else SourcingPlan(())
    reference = near or to
    return CartPromises(
        delivery_options=_delivery(lines, plan, stock, delivery, destination, now),
        pickup_options=_pickups(lines, stock, sourcing, pickup, reference, now),
        lines=_line_promises(lines, plan, stock, sourcing, pickup, reference),
    )


def _delivery(
    lines: Sequence[SourcingLine],
    plan: SourcingPlan,
    stock: StockSnapshot,
    options: Sequence[DeliveryOptionConfig],
    destination: Address | None,
    now: datetime,
) -> tuple[DeliveryPromise, ...]:
    ship_ids = {line.line_id for line in lines if line.method is FulfillmentMethod.SHIP}
    if not ship_ids or any(u.line_id in ship_ids for u in plan.unsourceable):
        return ()
    to = destination.geo if destination is not None else None
    shipments = [f for f in plan.fulfillments if f.method is FulfillmentMethod.SHIP]
    distances = [_km(stock.locations[f.location_id], to) for f in shipments]
    later = [b.expected_on for b in plan.backordered if b.line_id in ship_ids]
    count = len(shipments) + (1 if later else 0)
    result = []
    for option in options:
        if (
            destination is not None
            and option.countries
            and destination.country not in option.countries
        ):
            continue
        windows = [delivery_window(option, km, now) for km in distances]
        windows += [delivery_window(option, None, now, not_before=max(later))] if later else []
        if not windows or any(w is None for w in windows):
            continue
        starts, ends = zip(*(w for w in windows if w is not None), strict=True)
        result.append(
            DeliveryPromise(option.code, option.name, option.price, max(starts), max(ends), count)
        )
    return tuple(result)


def delivery_promises(
    lines: Sequence[SourcingLine],
    plan: SourcingPlan,
    stock: StockSnapshot,
    options: Sequence[DeliveryOptionConfig],
    destination: Address | None,
    now: datetime,
) -> tuple[DeliveryPromise, ...]:
    """The options offered for a plan already made (checkout sources once, under locks)."""
    return _delivery(lines, plan, stock, options, destination, now)


def _km(location: Location, to: GeoPoint | None) -> float | None:
    return None if to is None or location.geo is None else distance_km(location.geo, to)


def _pickups(
    lines: Sequence[SourcingLine],
    stock: StockSnapshot,
    sourcing: SourcingConfig,
    pickup: PickupConfig,
    reference: GeoPoint | None,
    now: datetime,
) -> tuple[PickupPromise, ...]:
    if not lines:
        return ()
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    ready = ready_by(pickup, now)
    options = []
    for location in _pickup_locations(stock, sourcing, pickup, reference):
        missing = tuple(
            sorted(
                sku
                for sku, need in demand.items()
                if not sourcing.allows(sku, location)
                or stock.available.get((sku, location.id), 0) < need
            )
        )
        km = _km(location, reference)
        options.append(PickupPromise(location, km, ready, not missing, missing))
    if reference is None:
        options.sort(key=lambda p: (len(p.unavailable_skus), p.location.code))
    return tuple(options[: pickup.max_options])


def _pickup_locations(
    stock: StockSnapshot,
    sourcing: SourcingConfig,
    pickup: PickupConfig,
    reference: GeoPoint | None,
) -> list[Location]:
    """Pickup locations of the channel, nearest first, within the radius when the shopper's
    position is known (a location without coordinates is then not 'nearby')."""
    usable = [
        loc
        for loc in stock.locations.values()
        if can_pickup_at(loc, frozenset()) and loc.kind not in sourcing.excluded_kinds
    ]
    if reference is None:
        return usable
    near = [(km, loc) for loc in usable if (km := _km(loc, reference)) is not None]
    return [
        loc for km, loc in sorted(near, key=lambda p: (p[0], p[1].id)) if km <= pickup.radius_km
    ]


def _line_promises(
    lines: Sequence[SourcingLine],
    plan: SourcingPlan,
    stock: StockSnapshot,
    sourcing: SourcingConfig,
    pickup: PickupConfig,
    reference: GeoPoint | None,
) -> tuple[LinePromise, ...]:
    ship_stock: dict[str, int] = {}
    for (sku, loc_id), units in stock.available.items():
        location = stock.locations.get(loc_id)
        if location and can_ship_from(location, frozenset()) and sourcing.allows(sku, location):
            ship_stock[sku] = ship_stock.get(sku, 0) + max(0, units)
    stores = _pickup_locations(stock, sourcing, pickup, reference)
    backorders: dict[str, date] = {}
    for b in plan.backordered:
        backorders[b.line_id] = max(b.expected_on, backorders.get(b.line_id, b.expected_on))
    wanted: dict[str, int] = {}
    result = []
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
        at_stores = sum(
            1
            for loc in stores
            if sourcing.allows(line.sku, loc)
            and stock.available.get((line.sku, loc.id), 0) >= line.quantity
        )
        result.append(
            LinePromise(
                line.line_id,
                line.sku,
                ship_stock.get(line.sku, 0) >= wanted[line.sku],
                at_stores,
                backorders.get(line.line_id),
            )
        )
    return tuple(result)


def select_delivery_option(
    promises: CartPromises,
    code: str | None,
    has_ship_lines: bool,
    field: Sequence[str] = ("input", "deliveryOption"),
) -> DeliveryPromise | None:
    """The option a checkout asked for: one the cart is offered right now. A cart with lines
    to ship needs one; a pickup-only cart takes none."""
    if not has_ship_lines:
        if code is not None:
            raise_if([invalid(field, "Nothing in this cart is shipped.")])
        return None
    if code is None:
        raise_if([invalid(field, "Choose a delivery option.")])
    chosen = next((o for o in promises.delivery_options if o.code == code), None)
    if chosen is None:
        raise_if([invalid(field, f"Delivery option {code!r} is not offered for this cart.")])
    return chosen


def order_promise(
    delivery: DeliveryPromise | None,
    option: DeliveryOptionConfig | None,
    pickup: PickupConfig | None,
    now: datetime,
) -> datetime | None:
    """What the order promises the shopper, stored on it for the at-risk report: the end
    of the latest estimated delivery day (in the option's time zone) and, when something is
    picked up, when it is ready; the later of the two. None when nothing was promised (a
    marketplace order that ships without a delivery option of ours)."""
    found: list[datetime] = []
    if delivery is not None and option is not None:
        zone = ZoneInfo(option.timezone)
        found.append(datetime.combine(delivery.estimated_to + timedelta(days=1), time(0), zone))
    if pickup is not None:
        found.append(ready_by(pickup, now))
    return max(found).astimezone(UTC) if found else None
