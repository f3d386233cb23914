"""Stock as a channel's orders see it, read (for promises) or locked (for holds and
allocation), and the write-back that keeps channel ATP and the availability feed current.

Every change to `allocated`, `reserved` or `onHand` made by an order use case goes through
`write_back`: the position deltas and `publish_changes` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.catalog.model import Variant
from domain.inventory.feed import PositionChange
from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView, location_contribution
from domain.inventory.publishing import publish_changes
from domain.locations.model import Location
from domain.orders.effects import StockEffect, StockEffectKind
from domain.orders.plan import IncomingStock, StockSnapshot
from domain.orders.ports import ChannelOrderSettings, Hold, PositionDelta
from domain.ports import UnitOfWork


@dataclass(slots=True)
class ChannelStock:
    """What sourcing sees (`snapshot`) and what the positions hold (`states`, after any
    holds this unit of work released); `deltas` collects the changes to write back."""

    snapshot: StockSnapshot
    view: InventoryView | None
    variants: Mapping[str, Variant]
    before: dict[PositionKey, PositionState]
    states: dict[PositionKey, PositionState]
    deltas: dict[PositionKey, PositionDelta] = field(default_factory=dict)
    released: list[Hold] = field(default_factory=list)

    def change(
        self, key: PositionKey, allocated: int = 0, reserved: int = 0, on_hand: int = 0
    ) -> None:
        d = self.deltas.get(key, PositionDelta())
        self.deltas[key] = PositionDelta(
            d.allocated + allocated, d.reserved + reserved, d.on_hand + on_hand
        )
        state = self.states.get(key) or self.before.get(key) or PositionState()
        self.states[key] = replace(
            state,
            allocated=state.allocated + allocated,
            reserved=state.reserved + reserved,
            on_hand=state.on_hand + on_hand,
        )

    def key(self, sku: str, location_id: int) -> PositionKey:
        return (self.variants[sku].id, location_id)


@dataclass(frozen=True, slots=True)
class ChannelScope:
    """The channel's inventory view and the locations it counts (read once per use case)."""

    view: InventoryView | None
    locations: Mapping[int, Location]  # the channel's
    everywhere: Mapping[int, Location]  # every location (channel ATP of other channels)

    @property
    def by_code(self) -> dict[str, Location]:
        return {loc.code: loc for loc in self.locations.values()}


async def channel_scope(uow: UnitOfWork, settings: ChannelOrderSettings) -> ChannelScope:
    view = await uow.stock.view(settings.channel_id)
    if view is None:
        return ChannelScope(None, {}, {})
    everywhere = {loc.id: loc for loc in await uow.locations.all()}
    return ChannelScope(view, channel_locations(everywhere.values(), view), everywhere)


def channel_locations(
    locations: Iterable[Location], view: InventoryView | None
) -> dict[int, Location]:
    """The channel's locations: its view's, minus the kinds the view excludes."""
    if view is None:
        return {}
    counted = set(view.location_ids)
    return {
        loc.id: loc
        for loc in locations
        if loc.id in counted and loc.kind not in view.excluded_location_kinds
    }


async def load_stock(
    uow: UnitOfWork,
    settings: ChannelOrderSettings,
    scope: ChannelScope,
    variants: Mapping[str, Variant],
    now: datetime,
    *,
    lock: bool,
    cart_id: str | None = None,
    include: Iterable[PositionKey] = (),
) -> ChannelStock:
    """The channel's stock for these SKUs. With `lock`, the positions are locked in key
    order and the cart's own holds, and any expired hold on them, are released here (its
    units become available to this use case, exactly once). Without it (promises), the
    cart's own holds count as available to it. `cart_id` only for a cart that holds (or
    held) units: others have no hold to look up. `include`: positions to lock with them
    whatever they hold (units an order operation gives back there)."""
    view, locations = scope.view, scope.locations
    own = await uow.stock.holds(cart_id) if cart_id is not None else []
    variant_ids = sorted({v.id for v in variants.values()})
    states = await uow.stock.positions(
        variant_ids, sorted(locations), lock=lock, include=[*(h.key for h in own), *include]
    )
    stock = ChannelStock(
        StockSnapshot({}, {}), view, variants, dict(states), dict(states), released=[]
    )
    if lock:
        if own or any(s.reserved > 0 for s in states.values()):
            stock.released = await uow.stock.release_holds(states, cart_id, now)
            for hold in stock.released:
                stock.change(hold.key, reserved=-hold.quantity)
    else:
        for hold in own:
            state = stock.states.get(hold.key, PositionState())
            stock.states[hold.key] = replace(state, reserved=state.reserved - hold.quantity)
    stock.snapshot = StockSnapshot(
        await _with_capacity(uow, locations, now),
        _available(stock, locations),
        tuple(await _incoming(uow, settings, variants, locations, now, lock)),
    )
    return stock


def _available(
    stock: ChannelStock, locations: Mapping[int, Location]
) -> dict[tuple[str, int], int]:
    """Units per (SKU, location) the channel may sell: the position's available after the
    view's buffers, as the channel's ATP counts it (no sale of what the feed withholds)."""
    sku_of = {v.id: sku for sku, v in stock.variants.items()}
    view = stock.view
    result: dict[tuple[str, int], int] = {}
    for (variant_id, location_id), state in stock.states.items():
        sku = sku_of.get(variant_id)
        if sku is None or location_id not in locations or view is None:
            continue
        if sku in view.excluded_skus:
            continue
        units = location_contribution(state.available, view)
        if units > 0:
            result[(sku, location_id)] = units
    return result


async def _with_capacity(
    uow: UnitOfWork, locations: Mapping[int, Location], now: datetime
) -> dict[int, Location]:
    """Locations whose `open_fulfillments` is today's count against their daily capacity
    (what sourcing's `at_capacity` and load compare), read from the counters."""
    capped = [loc.id for loc in locations.values() if loc.daily_capacity is not None]
    if not capped:
        return dict(locations)  # nothing is counted against an unlimited location
    used = await uow.stock.capacity_used(capped, now.date())
    return {
        loc.id: replace(loc, open_fulfillments=used.get(loc.id, 0))
        if loc.daily_capacity is not None
        else loc
        for loc in locations.values()
    }


async def _incoming(
    uow: UnitOfWork,
    settings: ChannelOrderSettings,
    variants: Mapping[str, Variant],
    locations: Mapping[int, Location],
    now: datetime,
    lock: bool,
) -> list[IncomingStock]:
    """Expected supply net of what open backorders already claimed (earliest first);
    only read when the channel backorders at all."""
    if not settings.sourcing.allow_backorder or not variants or not locations:
        return []
    supply = await uow.stock.incoming(
        sorted(v.id for v in variants.values()), sorted(locations), now.date(), lock=lock
    )
    claimed = await uow.stock.backordered(variants)
    return net_of_claims(supply, claimed)


def net_of_claims(
    supply: Sequence[IncomingStock], claimed: Mapping[str, int]
) -> list[IncomingStock]:
    """Supply minus units earlier backorders wait for, taken from the earliest first."""
    left = dict(claimed)
    result = []
    for s in sorted(supply, key=lambda s: (s.expected_on, s.location_id)):
        take = min(left.get(s.sku, 0), s.quantity)
        left[s.sku] = left.get(s.sku, 0) - take
        if s.quantity - take > 0:
            result.append(replace(s, quantity=s.quantity - take))
    return result


def apply_effects(stock: ChannelStock, effects: Sequence[StockEffect]) -> None:
    """Allocation and release as position deltas (shipping is not placement's business)."""
    for effect in effects:
        key = stock.key(effect.sku, effect.location_id)
        if effect.kind is StockEffectKind.ALLOCATE:
            stock.change(key, allocated=effect.quantity)
        elif effect.kind is StockEffectKind.RELEASE:
            stock.change(key, allocated=-effect.quantity)
        else:
            raise ValueError(f"{effect.kind} is not a placement effect")


async def write_back(
    uow: UnitOfWork,
    stock: ChannelStock,
    now: datetime,
    scope: ChannelScope | None = None,
) -> None:
    """Write the deltas and move channel ATP (and the feed) by what changed."""
    if not stock.deltas:
        return
    await uow.stock.adjust(stock.deltas, now)
    sku_of = {v.id: sku for sku, v in stock.variants.items()}
    for variant_id, _ in stock.deltas:
        if variant_id not in sku_of:  # a hold of a SKU the cart no longer has
            sku_of[variant_id] = await uow.channel_atp.sku_of(variant_id)
    changes = [
        PositionChange(
            key[0],
            sku_of[key[0]],
            key[1],
            stock.before.get(key, PositionState()).available,
            stock.states[key].available,
        )
        for key in stock.deltas
    ]
    await publish_changes(uow, changes, now, scope.everywhere if scope is not None else None)
