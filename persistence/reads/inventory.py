"""Inventory reads: positions, incoming supply and the availability hot path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import false, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import Variant
from domain.inventory.model import (
    IncomingSupply,
    InventoryView,
    Position,
    PositionQuantities,
    position_available,
)
from persistence.clock import aware
from persistence.repositories.inventory import view_from_row
from persistence.tables import incoming_supply, inventory_positions, inventory_views, variants

_pos = inventory_positions.c
_inc = incoming_supply.c


def _position_query(sku: str | None, location_id: int | None):  # type: ignore[no-untyped-def]
    query = select(
        _pos.variant_id,
        variants.c.sku,
        _pos.location_id,
        _pos.on_hand,
        _pos.allocated,
        _pos.reserved,
        _pos.safety_stock,
        _pos.unsellable,
        _pos.updated_at,
    ).join(variants, variants.c.id == _pos.variant_id)
    if sku is not None:
        query = query.where(variants.c.sku == sku)
    if location_id is not None:
        query = query.where(_pos.location_id == location_id)
    return query


async def position_page(
    conn: AsyncConnection,
    sku: str | None,
    location_id: int | None,
    after: tuple[int, int] | None,
    limit: int,
) -> list[Position]:
    query = _position_query(sku, location_id)
    if after is not None:
        query = query.where(tuple_(_pos.variant_id, _pos.location_id) > tuple_(*after))
    query = query.order_by(_pos.variant_id, _pos.location_id).limit(limit)
    return [
        Position(
            row.variant_id,
            row.sku,
            row.location_id,
            PositionQuantities(
                row.on_hand, row.allocated, row.reserved, row.safety_stock, row.unsellable
            ),
            aware(row.updated_at),
        )
        for row in await conn.execute(query)
    ]


async def position_count(conn: AsyncConnection, sku: str | None, location_id: int | None) -> int:
    inner = _position_query(sku, location_id).subquery()
    return int((await conn.execute(select(func.count()).select_from(inner))).scalar_one())


async def incoming_for(
    conn: AsyncConnection, keys: Sequence[tuple[int, int]], today: date
) -> dict[tuple[int, int], list[IncomingSupply]]:
    query = (
        select(incoming_supply)
        .where(tuple_(_inc.variant_id, _inc.location_id).in_(list(keys)), _inc.expected_at >= today)
        .order_by(_inc.expected_at, _inc.id)
    )
    found: dict[tuple[int, int], list[IncomingSupply]] = {}
    for row in await conn.execute(query):
        found.setdefault((row.variant_id, row.location_id), []).append(
            IncomingSupply(
                row.variant_id, row.location_id, row.quantity, row.expected_at, row.reference
            )
        )
    return found


async def available_at(
    conn: AsyncConnection, variant_ids: Sequence[int], location_ids: Sequence[int]
) -> dict[int, dict[int, int]]:
    """Position availability by variant and location (the formula is the domain's)."""
    query = select(
        _pos.variant_id,
        _pos.location_id,
        _pos.on_hand,
        _pos.allocated,
        _pos.reserved,
        _pos.safety_stock,
        _pos.unsellable,
    ).where(_pos.variant_id.in_(list(variant_ids)), _pos.location_id.in_(list(location_ids)))
    found: dict[int, dict[int, int]] = {}
    for variant_id, location_id, *quantities in (await conn.execute(query)).tuples():
        found.setdefault(variant_id, {})[location_id] = position_available(*quantities)
    return found


async def skus_with_availability(
    conn: AsyncConnection, skus: Sequence[str], location_ids: Sequence[int]
) -> tuple[dict[str, Variant], dict[int, dict[int, int]]]:
    """Variants by SKU and their availability at these locations, in one statement."""
    v = variants.c
    on_locations = _pos.variant_id == v.id
    on_locations &= _pos.location_id.in_(list(location_ids)) if location_ids else false()
    query = (
        select(
            v.id,
            v.product_id,
            v.sku,
            v.title,
            v.unit_cost,
            v.is_kit,
            _pos.location_id,
            _pos.on_hand,
            _pos.allocated,
            _pos.reserved,
            _pos.safety_stock,
            _pos.unsellable,
        )
        .select_from(variants.outerjoin(inventory_positions, on_locations))
        .where(v.sku.in_(list(skus)))
    )
    found: dict[str, Variant] = {}
    quantities: dict[int, dict[int, int]] = {}
    for row in (await conn.execute(query)).tuples():
        variant_id, product_id, sku, title, unit_cost, is_kit, location_id, *counts = row
        if sku not in found:
            found[sku] = Variant(variant_id, product_id, sku, title, unit_cost, bool(is_kit))
        if location_id is not None:
            quantities.setdefault(variant_id, {})[location_id] = position_available(*counts)
    return found, quantities


async def earliest_incoming(
    conn: AsyncConnection, variant_ids: Sequence[int], location_ids: Sequence[int], today: date
) -> dict[int, IncomingSupply]:
    query = (
        select(incoming_supply)
        .where(
            _inc.variant_id.in_(list(variant_ids)),
            _inc.location_id.in_(list(location_ids)),
            _inc.expected_at >= today,
        )
        .order_by(_inc.expected_at, _inc.id)
    )
    found: dict[int, IncomingSupply] = {}
    for row in await conn.execute(query):
        found.setdefault(
            row.variant_id,
            IncomingSupply(
                row.variant_id, row.location_id, row.quantity, row.expected_at, row.reference
            ),
        )
    return found


async def all_views(conn: AsyncConnection) -> dict[int, InventoryView]:
    rows = await conn.execute(select(inventory_views))
    return {row.channel_id: view_from_row(row) for row in rows}
