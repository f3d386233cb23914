"""Inventory reads: positions, incoming supply and the availability hot path."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, select, tuple_
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
from persistence.reads import raw
from persistence.repositories.channel_atp import view_from_row
from persistence.tables import (
    POSITION_QUANTITIES,
    incoming_supply,
    inventory_positions,
    inventory_views,
    variants,
)

_pos = inventory_positions.c
_inc = incoming_supply.c


def _position_query(
    sku: str | None, location_id: int | None, within: Collection[int] | None = None
) -> Select[Any]:
    query = select(
        _pos.variant_id,
        variants.c.sku,
        _pos.location_id,
        *POSITION_QUANTITIES,
        _pos.updated_at,
    ).join(variants, variants.c.id == _pos.variant_id)
    if sku is not None:
        query = query.where(variants.c.sku == sku)
    if location_id is not None:
        query = query.where(_pos.location_id == location_id)
    if within is not None:
        query = query.where(_pos.location_id.in_(list(within)))
    return query


async def position_page(
    conn: AsyncConnection,
    sku: str | None,
    location_id: int | None,
    after: tuple[int, int] | None,
    limit: int,
    within: Collection[int] | None = None,
) -> list[Position]:
    query = _position_query(sku, location_id, within)
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


async def position_count(
    conn: AsyncConnection,
    sku: str | None,
    location_id: int | None,
    within: Collection[int] | None = None,
) -> int:
    inner = _position_query(sku, location_id, within).subquery()
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
        *POSITION_QUANTITIES,
    ).where(_pos.variant_id.in_(list(variant_ids)), _pos.location_id.in_(list(location_ids)))
    found: dict[int, dict[int, int]] = {}
    for variant_id, location_id, *quantities in await conn.execute(query):
        found.setdefault(variant_id, {})[location_id] = position_available(*quantities)
    return found


# The availability hot path on PostgreSQL: constant SQL with array parameters, run on the
# driver connection (persistence/reads/raw.py). It skips SQLAlchemy's statement building, IN-list expansion and
# result processing, which cost more than the query itself here. SQLite runs the same
# question through SQLAlchemy Core below.
SKUS_WITH_AVAILABILITY_PG = """
SELECT v.id, v.product_id, v.sku, v.title, v.unit_cost, v.is_kit, p.location_id,
       p.on_hand, p.allocated, p.reserved, p.safety_stock, p.unsellable
FROM variants v
LEFT JOIN inventory_positions p ON p.variant_id = v.id AND p.location_id = ANY($2::int[])
WHERE v.sku = ANY($1::text[])"""

EARLIEST_INCOMING_PG = """
SELECT DISTINCT ON (variant_id) variant_id, location_id, quantity, expected_at, reference
FROM incoming_supply
WHERE variant_id = ANY($1::bigint[]) AND location_id = ANY($2::int[]) AND expected_at >= $3
ORDER BY variant_id, expected_at, id"""


async def skus_with_availability(
    conn: AsyncConnection, skus: Sequence[str], location_ids: Sequence[int]
) -> tuple[dict[str, Variant], dict[int, dict[int, int]]]:
    """Variants by SKU and their availability at these locations, in one statement."""
    rows = await raw.fetch(conn, SKUS_WITH_AVAILABILITY_PG, list(skus), list(location_ids))
    if rows is None:
        rows = list(await conn.execute(_skus_with_availability_query(skus, location_ids)))
    found: dict[str, Variant] = {}
    quantities: dict[int, dict[int, int]] = {}
    available = position_available
    for row in rows:  # indexed access: this loop runs for every position of every SKU asked
        by_location = quantities.get(row[0])
        if by_location is None:  # a variant's first row (one variant per SKU)
            found[row[2]] = Variant(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
            by_location = quantities[row[0]] = {}
        location_id = row[6]
        if location_id is not None:
            by_location[location_id] = available(row[7], row[8], row[9], row[10], row[11])
    return found, quantities


def _skus_with_availability_query(skus: Sequence[str], location_ids: Sequence[int]) -> Any:
    v = variants.c
    on_locations = _pos.variant_id == v.id
    on_locations &= _pos.location_id.in_(list(location_ids)) if location_ids else false()
    return (
        select(
            v.id,
            v.product_id,
            v.sku,
            v.title,
            v.unit_cost,
            v.is_kit,
            _pos.location_id,
            *POSITION_QUANTITIES,
        )
        .select_from(variants.outerjoin(inventory_positions, on_locations))
        .where(v.sku.in_(list(skus)))
    )


async def earliest_incoming(
    conn: AsyncConnection, variant_ids: Sequence[int], location_ids: Sequence[int], today: date
) -> dict[int, IncomingSupply]:
    """Each variant's first expected supply at these locations, from today on."""
    rows = await raw.fetch(conn, EARLIEST_INCOMING_PG, list(variant_ids), list(location_ids), today)
    if rows is None:
        query = (
            select(
                _inc.variant_id, _inc.location_id, _inc.quantity, _inc.expected_at, _inc.reference
            )
            .where(
                _inc.variant_id.in_(list(variant_ids)),
                _inc.location_id.in_(list(location_ids)),
                _inc.expected_at >= today,
            )
            .order_by(_inc.expected_at, _inc.id)
        )
        rows = list(await conn.execute(query))
    found: dict[int, IncomingSupply] = {}
    for variant_id, location_id, quantity, expected_at, reference in rows:
        found.setdefault(
            variant_id, IncomingSupply(variant_id, location_id, quantity, expected_at, reference)
        )
    return found


async def all_views(conn: AsyncConnection) -> dict[int, InventoryView]:
    rows = await conn.execute(select(inventory_views))
    return {row.channel_id: view_from_row(row) for row in rows}
