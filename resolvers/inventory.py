"""Inventory resolvers: availability, positions, ingest mutations and views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from aiodataloader import DataLoader

from domain.catalog.model import Variant
from domain.errors import DomainError
from domain.inventory import handlers
from domain.inventory.ingest import AdjustUpdate, BatchResult, SetUpdate
from domain.inventory.model import (
    IncomingSupply,
    InventoryView,
    Position,
    SkuAtp,
    kit_atp,
    sku_atp,
)
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.model import GeoPoint, Location, distance_km
from persistence.reads import inventory as reads
from resolvers.context import Context
from resolvers.errors import ApiError, checked_cursor
from resolvers.ids import cursor
from resolvers.pagination import Connection, connection, page_size
from resolvers.results import Result
from resolvers.scope import location_filter

if TYPE_CHECKING:
    from schema.common import GeoPointInput
    from schema.inputs import InventoryAdjustInput, InventorySetInput, InventoryViewInput


@dataclass(frozen=True, slots=True)
class LocationAvailability:
    location: Location
    available: int
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class Availability:
    sku: str
    channel: str
    available: int
    ship_available: int
    pickup_available: int
    locations: list[LocationAvailability]
    next_incoming: IncomingSupply | None


@dataclass(frozen=True, slots=True)
class Area:
    near: GeoPoint | None = None
    radius_km: float | None = None


async def _availability(
    ctx: Context, channel_code: str, variants: Sequence[Variant], area: Area
) -> list[Availability]:
    """ATP for several variants of one channel: two SQL statements, whatever the count."""
    ref = await ctx.reference.get()
    channel = ref.channels_by_code.get(channel_code)
    if channel is None:
        raise ApiError(f"Unknown channel {channel_code!r}.", "NOT_FOUND")
    view = ref.views_by_channel.get(channel.id) or InventoryView(0, channel.id, channel.code, ())
    distances: dict[int, float] = {}
    location_ids = list(view.location_ids)
    if area.near is not None:
        for loc_id in view.location_ids:
            loc = ref.locations_by_id.get(loc_id)
            if loc is not None and loc.geo is not None:
                distances[loc_id] = distance_km(area.near, loc.geo)
        if area.radius_km is not None:
            radius = area.radius_km
            location_ids = [i for i in location_ids if distances.get(i, radius + 1) <= radius]
        view = InventoryView(
            view.id,
            view.channel_id,
            view.code,
            tuple(sorted(location_ids, key=lambda i: distances.get(i, float("inf")))),
            view.safety_buffer,
            view.safety_buffer_percent,
            view.max_available,
            view.excluded_skus,
            view.excluded_location_kinds,
        )
    components = {v.id: await ctx.loaders.kit_components.load(v.id) for v in variants if v.is_kit}
    component_variants: dict[int, Variant] = {}
    for parts in components.values():
        for part in parts:
            component_variants[part.component_id] = await ctx.loaders.variant.load(
                part.component_id
            )
    plain_ids = {v.id for v in variants if not v.is_kit} | set(component_variants)
    by_variant: dict[int, dict[int, int]] = {}
    incoming: dict[int, IncomingSupply] = {}
    if plain_ids and location_ids:
        async with ctx.db.read() as conn:
            rows = await reads.quantities_at(conn, list(plain_ids), location_ids)
            incoming = await reads.earliest_incoming(conn, list(plain_ids), location_ids, ctx.today)
        for variant_id, loc_id, quantities in rows:
            by_variant.setdefault(variant_id, {})[loc_id] = quantities.available

    def plain(variant: Variant) -> SkuAtp:
        return sku_atp(variant.sku, by_variant.get(variant.id, {}), ref.locations_by_id, view)

    results = []
    for variant in variants:
        if variant.is_kit:
            parts = [
                (plain(component_variants[p.component_id]), p.quantity)
                for p in components[variant.id]
            ]
            atp = kit_atp(variant.sku, parts)
            if variant.sku in view.excluded_skus:
                atp = SkuAtp(variant.sku, 0, 0, 0)
            next_in = min(
                (
                    incoming[p.component_id]
                    for p in components[variant.id]
                    if p.component_id in incoming
                ),
                key=lambda s: s.expected_at,
                default=None,
            )
        else:
            atp = plain(variant)
            next_in = incoming.get(variant.id)
        results.append(
            Availability(
                sku=variant.sku,
                channel=channel_code,
                available=atp.available,
                ship_available=atp.ship_available,
                pickup_available=atp.pickup_available,
                locations=[
                    LocationAvailability(loc, qty, distances.get(loc.id))
                    for loc, qty in atp.by_location
                ],
                next_incoming=next_in,
            )
        )
    return results


async def availability(
    ctx: Context,
    channel: str,
    skus: list[str],
    near: GeoPointInput | None,
    radius_km: float | None,
) -> list[Availability]:
    if len(skus) > 100:
        raise ApiError("At most 100 SKUs per availability query.", "INVALID")
    found = [await ctx.loaders.variant_by_sku.load(sku) for sku in dict.fromkeys(skus)]
    variants = [v for v in found if v is not None]
    point = GeoPoint(near.latitude, near.longitude) if near is not None else None
    return await _availability(ctx, channel, variants, Area(point, radius_km))


async def variant_availability(ctx: Context, variant: Variant, channel: str) -> Availability:
    loader = ctx.extra_loader("availability", lambda: DataLoader(_batch_availability(ctx)))
    result: Availability = await loader.load((channel, variant))
    return result


def _batch_availability(ctx: Context):  # type: ignore[no-untyped-def]
    async def batch(keys: Sequence[tuple[str, Variant]]) -> list[Availability]:
        by_channel: dict[str, list[Variant]] = {}
        for channel, variant in keys:
            by_channel.setdefault(channel, []).append(variant)
        computed: dict[tuple[str, int], Availability] = {}
        for channel, variants in by_channel.items():
            for variant, result in zip(
                variants, await _availability(ctx, channel, variants, Area()), strict=True
            ):
                computed[(channel, variant.id)] = result
        return [computed[(channel, variant.id)] for channel, variant in keys]

    return batch


async def positions(
    ctx: Context, sku: str | None, location: str | None, first: int | None, after: str | None
) -> Connection[Position]:
    location = location_filter(ctx, location)
    after_key = checked_cursor(after, 2)
    limit = page_size(first, 50)
    location_id = None
    if location is not None:
        found = (await ctx.reference.get()).locations_by_code.get(location)
        if found is None:
            return connection([], 0, lambda _: "", False, _zero)
        location_id = found.id
    key = (after_key[0], after_key[1]) if after_key else None
    async with ctx.db.read() as conn:
        rows = await reads.position_page(conn, sku, location_id, key, limit + 1)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.position_count(conn, sku, location_id)

    return connection(
        rows, limit, lambda p: cursor(p.variant_id, p.location_id), key is not None, count
    )


async def _zero() -> int:
    return 0


async def position_location(ctx: Context, position: Position) -> Location:
    return (await ctx.reference.get()).locations_by_id[position.location_id]


async def position_incoming(ctx: Context, position: Position) -> list[IncomingSupply]:
    found: list[IncomingSupply] = await ctx.loaders.incoming.load(
        (position.variant_id, position.location_id)
    )
    return found


async def view_locations(ctx: Context, view: InventoryView) -> list[Location]:
    ref = await ctx.reference.get()
    return [ref.locations_by_id[i] for i in view.location_ids if i in ref.locations_by_id]


async def incoming_location(ctx: Context, supply: IncomingSupply) -> Location:
    return (await ctx.reference.get()).locations_by_id[supply.location_id]


def _now() -> datetime:
    return datetime.now(UTC)


async def inventory_set(ctx: Context, updates: list[InventorySetInput]) -> BatchResult:
    commands = [
        SetUpdate(u.sku, u.location, u.on_hand, u.as_of, u.unsellable, u.safety_stock)
        for u in updates
    ]
    return await handlers.set_inventory(commands, ctx.actor, ctx.uow(), _now())


async def inventory_adjust(ctx: Context, updates: list[InventoryAdjustInput]) -> BatchResult:
    commands = [AdjustUpdate(u.sku, u.location, u.delta, u.reason, u.event_id) for u in updates]
    return await handlers.adjust_inventory(commands, ctx.actor, ctx.uow(), _now())


async def incoming_supply_add(
    ctx: Context, sku: str, location: str, quantity: int, expected_at: date, reference: str | None
) -> BatchResult:
    return await handlers.add_incoming_supply(
        sku, location, quantity, expected_at, reference, ctx.actor, ctx.uow(), ctx.today
    )


async def inventory_view_upsert(
    ctx: Context, channel: str, data: InventoryViewInput
) -> Result[InventoryView]:
    spec = ViewSpec(
        code=data.code,
        locations=tuple(data.locations),
        safety_buffer=data.safety_buffer or 0,
        safety_buffer_percent=data.safety_buffer_percent or 0,
        max_available=data.max_available,
        excluded_skus=tuple(data.excluded_skus or ()),
        excluded_location_kinds=tuple(data.excluded_location_kinds or ()),
    )
    try:
        view = await upsert_view(channel, spec, ctx.uow(), _now())
    except DomainError as error:
        return Result.failed(error)
    ctx.reference.invalidate()
    return Result(view)
