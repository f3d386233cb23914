"""Availability to promise: the storefront's and marketplaces' hot path.

The root query resolves SKUs and reads their positions at the view's locations in one
statement, and reads incoming supply only when `nextIncoming` is selected. The numbers
come from the domain's formulas (domain.inventory.model), never from SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader

from domain.catalog.model import Variant
from domain.inventory.model import IncomingSupply, InventoryView, earliest, variant_atp
from domain.locations.model import GeoPoint, Location, distance_km
from persistence.reads import inventory as reads
from resolvers.context import Context
from resolvers.errors import ApiError
from resolvers.lookahead import child_names

if TYPE_CHECKING:
    from schema.common import GeoPointInput

MAX_SKUS = 100


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
class Plan:
    """The channel's view, narrowed and ordered by distance when `near` is given."""

    channel: str
    view: InventoryView
    locations: dict[int, Location]
    distances: dict[int, float] = field(default_factory=dict)


async def _plan(
    ctx: Context, channel_code: str, near: GeoPoint | None = None, radius_km: float | None = None
) -> Plan:
    ref = await ctx.reference_data()
    channel = ref.channels_by_code.get(channel_code)
    if channel is None:
        raise ApiError(f"Unknown channel {channel_code!r}.", "NOT_FOUND")
    view = ref.views_by_channel.get(channel.id) or InventoryView(0, channel.id, channel.code, ())
    if near is None:
        return Plan(channel_code, view, ref.locations_by_id)
    distances = {
        loc_id: distance_km(near, loc.geo)
        for loc_id in view.location_ids
        if (loc := ref.locations_by_id.get(loc_id)) is not None and loc.geo is not None
    }
    ids = list(view.location_ids)
    if radius_km is not None:
        ids = [i for i in ids if distances.get(i, radius_km + 1) <= radius_km]
    ids.sort(key=lambda i: distances.get(i, float("inf")))
    return Plan(
        channel_code, replace(view, location_ids=tuple(ids)), ref.locations_by_id, distances
    )


async def _components(
    ctx: Context, variants: Sequence[Variant]
) -> tuple[dict[int, list[Any]], dict[int, Variant]]:
    kits = [v.id for v in variants if v.is_kit]
    if not kits:
        return {}, {}
    parts = dict(zip(kits, await ctx.loaders.kit_components.load_many(kits), strict=True))
    ids = sorted({p.component_id for found in parts.values() for p in found})
    found = await ctx.loaders.variant.load_many(ids)
    return parts, {v.id: v for v in found if v is not None}


async def _compute(
    ctx: Context,
    plan: Plan,
    variants: Sequence[Variant],
    quantities: dict[int, dict[int, int]],
    incoming: dict[int, IncomingSupply] | None,
    with_locations: bool = True,
) -> list[Availability]:
    """ATP per variant from per-location availability; kits from their components.
    `with_locations=False` leaves `locations` empty, for a selection without them: a
    cart check would otherwise build an object per SKU and location only to drop it."""
    parts, component_variants = await _components(ctx, variants)
    missing = [i for i in component_variants if i not in quantities]
    if missing and plan.view.location_ids:
        async with ctx.db.read() as conn:
            quantities.update(await reads.available_at(conn, missing, plan.view.location_ids))
            if incoming is not None:
                incoming.update(
                    await reads.earliest_incoming(conn, missing, plan.view.location_ids, ctx.today)
                )

    results = []
    for variant in variants:
        kit = parts.get(variant.id) if variant.is_kit else None
        kit_parts = None
        if kit is not None:
            kit_parts = [
                (
                    component_variants[p.component_id].sku,
                    quantities.get(p.component_id, {}),
                    p.quantity,
                )
                for p in kit
            ]
        atp = variant_atp(
            variant.sku, quantities.get(variant.id, {}), kit_parts, plan.locations, plan.view
        )
        sources = [p.component_id for p in kit] if kit is not None else [variant.id]
        supply = earliest(incoming.get(i) for i in sources) if incoming else None
        results.append(
            Availability(
                sku=variant.sku,
                channel=plan.channel,
                available=atp.available,
                ship_available=atp.ship_available,
                pickup_available=atp.pickup_available,
                locations=[
                    LocationAvailability(loc, qty, plan.distances.get(loc.id))
                    for loc, qty in atp.by_location
                ]
                if with_locations
                else [],
                next_incoming=supply,
            )
        )
    return results


async def availability(
    ctx: Context,
    info: Any,
    channel: str,
    skus: list[str],
    near: GeoPointInput | None,
    radius_km: float | None,
) -> list[Availability]:
    if len(skus) > MAX_SKUS:
        raise ApiError(f"At most {MAX_SKUS} SKUs per availability query.", "INVALID")
    point = GeoPoint(near.latitude, near.longitude) if near is not None else None
    plan = await _plan(ctx, channel, point, radius_km)
    wanted = list(dict.fromkeys(skus))
    children = child_names(info)
    want_incoming = "nextIncoming" in children
    incoming: dict[int, IncomingSupply] | None = {} if want_incoming else None
    async with ctx.db.read() as conn:
        variants, quantities = await reads.skus_with_availability(
            conn, wanted, plan.view.location_ids
        )
        plain_ids = [v.id for v in variants.values() if not v.is_kit]
        if incoming is not None and plain_ids and plan.view.location_ids:
            incoming.update(
                await reads.earliest_incoming(conn, plain_ids, plan.view.location_ids, ctx.today)
            )
    found = [variants[sku] for sku in wanted if sku in variants]
    with_locations = "locations" in children
    return await _compute(ctx, plan, found, quantities, incoming, with_locations)


async def variant_availability(ctx: Context, variant: Variant, channel: str) -> Availability:
    loader = ctx.extra_loader("availability", lambda: DataLoader(_batch(ctx)))
    result: Availability = await loader.load((channel, variant))
    return result


def _batch(ctx: Context) -> Any:
    """Variant.availability across a list: one read per channel for all its variants."""

    async def batch(keys: Sequence[tuple[str, Variant]]) -> list[Availability | ApiError]:
        by_channel: dict[str, list[Variant]] = {}
        for channel, variant in keys:
            by_channel.setdefault(channel, []).append(variant)
        computed: dict[tuple[str, int], Availability | ApiError] = {}
        for channel, variants in by_channel.items():
            try:
                plan = await _plan(ctx, channel)
            except ApiError as error:
                # Only this channel's keys fail: which keys share a batch depends on
                # timing, and an unknown channel must not fail the others' answers.
                for variant in variants:
                    computed[(channel, variant.id)] = error
                continue
            ids = [v.id for v in variants if not v.is_kit]
            quantities: dict[int, dict[int, int]] = {}
            incoming: dict[int, IncomingSupply] = {}
            if ids and plan.view.location_ids:
                async with ctx.db.read() as conn:
                    quantities = await reads.available_at(conn, ids, plan.view.location_ids)
                    incoming = await reads.earliest_incoming(
                        conn, ids, plan.view.location_ids, ctx.today
                    )
            results = await _compute(ctx, plan, variants, quantities, incoming)
            for variant, result in zip(variants, results, strict=True):
                computed[(channel, variant.id)] = result
        return [computed[(channel, variant.id)] for channel, variant in keys]

    return batch
