"""Inventory resolvers: positions, ingest mutations, incoming supply and views.

Availability has its own module, resolvers/availability.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from domain.errors import DomainError
from domain.inventory import handlers
from domain.inventory.ingest import AdjustUpdate, BatchResult, SetUpdate
from domain.inventory.model import (
    IncomingSupply,
    InventoryView,
    Position,
)
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.model import Location
from persistence.reads import inventory as reads
from resolvers.context import Context
from resolvers.errors import checked_cursor
from resolvers.ids import cursor
from resolvers.pagination import Connection, connection, empty_connection, page_size
from resolvers.results import Result
from resolvers.visibility import channel_locations, location_filter

if TYPE_CHECKING:
    from schema.inputs import InventoryAdjustInput, InventorySetInput, InventoryViewInput


async def positions(
    ctx: Context, sku: str | None, location: str | None, first: int | None, after: str | None
) -> Connection[Position]:
    location = location_filter(ctx, location)
    after_key = checked_cursor(after, 2)
    limit = page_size(first, 50)
    within = await channel_locations(ctx)
    location_id = None
    if location is not None:
        found = (await ctx.reference_data()).locations_by_code.get(location)
        if found is None or (within is not None and found.id not in within):
            return empty_connection()
        location_id = found.id
    key = (after_key[0], after_key[1]) if after_key else None
    async with ctx.db.read() as conn:
        rows = await reads.position_page(conn, sku, location_id, key, limit + 1, within)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.position_count(conn, sku, location_id, within)

    return connection(
        rows, limit, lambda p: cursor(p.variant_id, p.location_id), key is not None, count
    )


async def position_location(ctx: Context, position: Position) -> Location:
    return (await ctx.reference_data()).locations_by_id[position.location_id]


async def position_incoming(ctx: Context, position: Position) -> list[IncomingSupply]:
    found: list[IncomingSupply] = await ctx.loaders.incoming.load(
        (position.variant_id, position.location_id)
    )
    return found


async def view_locations(ctx: Context, view: InventoryView) -> list[Location]:
    ref = await ctx.reference_data()
    return [ref.locations_by_id[i] for i in view.location_ids if i in ref.locations_by_id]


async def incoming_location(ctx: Context, supply: IncomingSupply) -> Location:
    return (await ctx.reference_data()).locations_by_id[supply.location_id]


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
