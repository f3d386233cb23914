"""The contract's inventory formulas, in one place.

Position:  available = max(0, onHand - allocated - reserved - safetyStock - unsellable)
Channel:   sum over counted locations of max(0, a - buffer - ceil(a * percent / 100)), capped
Kit:       min over components of floor(component ATP / quantity)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.locations.model import Location, LocationKind
from domain.validation import MAX_INT


@dataclass(frozen=True, slots=True)
class PositionQuantities:
    on_hand: int = 0
    allocated: int = 0
    reserved: int = 0
    safety_stock: int = 0
    unsellable: int = 0

    @property
    def available(self) -> int:
        return position_available(
            self.on_hand, self.allocated, self.reserved, self.safety_stock, self.unsellable
        )


def position_available(
    on_hand: int, allocated: int, reserved: int, safety_stock: int, unsellable: int
) -> int:
    return max(0, on_hand - allocated - reserved - safety_stock - unsellable)


@dataclass(frozen=True, slots=True)
class InventoryView:
    """A channel's virtual view of stock."""

    id: int
    channel_id: int
    code: str
    location_ids: tuple[int, ...]
    safety_buffer: int = 0
    safety_buffer_percent: int = 0
    max_available: int | None = None
    excluded_skus: frozenset[str] = frozenset()
    excluded_location_kinds: frozenset[LocationKind] = frozenset()


def location_contribution(available: int, view: InventoryView) -> int:
    """What one location adds to a channel's ATP after the view's buffers."""
    if available <= 0:
        return 0
    withheld_percent = -(-available * view.safety_buffer_percent // 100)  # ceil for ints
    return max(0, available - view.safety_buffer - withheld_percent)


def cap(raw: int, view: InventoryView) -> int:
    """The view's cap, and never more than a GraphQL Int can carry: a channel sums many
    locations, each of which may hold up to MAX_QUANTITY."""
    limit = MAX_INT if view.max_available is None else min(view.max_available, MAX_INT)
    return min(raw, limit)


@dataclass(frozen=True, slots=True)
class SkuAtp:
    sku: str
    available: int
    ship_available: int
    pickup_available: int
    by_location: tuple[tuple[Location, int], ...] = field(default=())


def sku_atp(
    sku: str,
    available_by_location: Mapping[int, int],
    locations: Mapping[int, Location],
    view: InventoryView,
) -> SkuAtp:
    """Channel ATP of one SKU from its per-location position availability."""
    if sku in view.excluded_skus:
        return SkuAtp(sku, 0, 0, 0)
    total = ship = pickup = 0
    contributions: list[tuple[Location, int]] = []
    for location_id in view.location_ids:
        location = locations.get(location_id)
        if location is None or location.kind in view.excluded_location_kinds:
            continue
        contribution = location_contribution(available_by_location.get(location_id, 0), view)
        if contribution <= 0:
            continue
        contributions.append((location, contribution))
        total += contribution
        if location.can_ship:
            ship += contribution
        if location.can_pickup:
            pickup += contribution
    return SkuAtp(sku, cap(total, view), cap(ship, view), cap(pickup, view), tuple(contributions))


def kit_atp(kit_sku: str, components: Iterable[tuple[SkuAtp, int]]) -> SkuAtp:
    """A kit's availability: the minimum over components of floor(component ATP / quantity)."""
    parts = list(components)
    if not parts:
        return SkuAtp(kit_sku, 0, 0, 0)

    def fewest(values: Iterable[tuple[int, int]]) -> int:
        return max(0, min(value // quantity for value, quantity in values))

    available = fewest((atp.available, qty) for atp, qty in parts)
    ship = fewest((atp.ship_available, qty) for atp, qty in parts)
    pickup = fewest((atp.pickup_available, qty) for atp, qty in parts)
    per_location: dict[int, list[int]] = {}
    location_by_id: dict[int, Location] = {}
    for atp, qty in parts:
        for location, contribution in atp.by_location:
            per_location.setdefault(location.id, []).append(contribution // qty)
            location_by_id[location.id] = location
    by_location = tuple(
        (location_by_id[loc_id], min(values))
        for loc_id, values in per_location.items()
        if len(values) == len(parts) and min(values) > 0
    )
    return SkuAtp(kit_sku, available, ship, pickup, by_location)


def variant_atp(
    sku: str,
    available_by_location: Mapping[int, int],
    kit_parts: Sequence[tuple[str, Mapping[int, int], int]] | None,
    locations: Mapping[int, Location],
    view: InventoryView,
) -> SkuAtp:
    """A SKU's channel ATP: from its own positions, or for a kit (`kit_parts` =
    [(component SKU, its availability by location, quantity)]) from its components'."""
    if kit_parts is None:
        return sku_atp(sku, available_by_location, locations, view)
    if sku in view.excluded_skus:
        return SkuAtp(sku, 0, 0, 0)
    return kit_atp(
        sku, [(sku_atp(part, avail, locations, view), qty) for part, avail, qty in kit_parts]
    )


@dataclass(frozen=True, slots=True)
class Position:
    """One SKU at one location, as read for the API."""

    variant_id: int
    sku: str
    location_id: int
    quantities: PositionQuantities
    updated_at: datetime

    @property
    def available(self) -> int:
        return self.quantities.available


@dataclass(frozen=True, slots=True)
class IncomingSupply:
    variant_id: int
    location_id: int
    quantity: int
    expected_at: date
    reference: str | None


def earliest(supplies: Iterable[IncomingSupply | None]) -> IncomingSupply | None:
    """The first expected supply (a kit waits for the first of its components' supplies)."""
    return min((s for s in supplies if s is not None), key=lambda s: s.expected_at, default=None)
