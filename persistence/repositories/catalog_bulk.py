"""Set-based catalog writes and lookups for the bulk import.

Tens of thousands of rows must not cost one round trip each: lookups are chunked `IN`
queries, and inserts are executemany calls that SQLAlchemy's "insertmanyvalues" turns
into multi-row `INSERT ... VALUES (...), (...) RETURNING` statements on both PostgreSQL
and SQLite. Per chunk of products that is a handful of statements (products, variants,
prices); kit components go last, once every variant of the file has an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import CreateProduct
from persistence.clock import utcnow
from persistence.tables import categories, channels, kit_components, prices, products, variants

CHUNK = 1000  # products per batch of inserts, and keys per IN query


async def _lookup(
    conn: AsyncConnection, key: Column[Any], value: Column[Any], keys: Iterable[str]
) -> dict[str, Any]:
    wanted = sorted(set(keys))
    found: dict[str, Any] = {}
    # PostgreSQL plans `= ANY(array)` with one parameter far faster than an IN list of a
    # thousand; SQLite has no arrays.
    postgres = conn.dialect.name == "postgresql"
    size = CHUNK * 10 if postgres else CHUNK
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        if postgres:
            condition = key == any_(bindparam("keys", chunk, type_=ARRAY(key.type)))
        else:
            condition = key.in_(chunk)
        rows = await conn.execute(select(key, value).where(condition))
        found.update((row[0], row[1]) for row in rows)
    return found


async def taken_handles(conn: AsyncConnection, handles: Iterable[str]) -> set[str]:
    return set(await _lookup(conn, products.c.handle, products.c.id, handles))


async def variant_ids(conn: AsyncConnection, skus: Iterable[str]) -> dict[str, int]:
    return await _lookup(conn, variants.c.sku, variants.c.id, skus)


async def channel_ids(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, int]:
    return await _lookup(conn, channels.c.code, channels.c.id, codes)


async def category_ids(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, int]:
    return await _lookup(conn, categories.c.code, categories.c.id, codes)


async def insert_products(
    conn: AsyncConnection,
    commands: Sequence[CreateProduct],
    category_ids: Mapping[str, int],
    channel_ids: Mapping[str, int],
    existing_variant_ids: Mapping[str, int],
) -> int:
    """Insert validated commands with their variants, prices and kits; returns the count.

    Every reference must already be resolvable: categories and channels by code, kit
    components by SKU among `existing_variant_ids` or the commands themselves.
    """
    now = utcnow()
    ids = dict(existing_variant_ids)
    for start in range(0, len(commands), CHUNK):
        chunk = commands[start : start + CHUNK]
        product_ids = await _insert_returning(
            conn,
            products.c.handle,
            [
                {
                    "handle": cmd.handle,
                    "title": cmd.title,
                    "description": cmd.description,
                    "category_id": category_ids[cmd.category] if cmd.category else None,
                    "created_at": now,
                }
                for cmd in chunk
            ],
        )
        variant_rows = [
            {
                "product_id": product_ids[cmd.handle],
                "sku": spec.sku,
                "title": spec.title,
                "unit_cost": spec.unit_cost,
                "is_kit": bool(spec.kit_components),
            }
            for cmd in chunk
            for spec in cmd.variants
        ]
        ids.update(await _insert_returning(conn, variants.c.sku, variant_rows))
        price_rows = [
            {"variant_id": ids[spec.sku], "channel_id": channel_ids[p.channel], "amount": p.amount}
            for cmd in chunk
            for spec in cmd.variants
            for p in spec.prices
        ]
        await _insert_many(conn, prices, price_rows)
    component_rows = [
        {"kit_id": ids[spec.sku], "component_id": ids[c.sku], "quantity": c.quantity}
        for cmd in commands
        for spec in cmd.variants
        for c in spec.kit_components
    ]
    await _insert_many(conn, kit_components, component_rows)
    return len(commands)


async def _insert_returning(
    conn: AsyncConnection, key: Column[Any], rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Multi-row insert returning natural key -> new id (no reliance on row order)."""
    if not rows:
        return {}
    table = key.table
    result = await conn.execute(insert(table).returning(key, table.c.id), rows)
    return {row[0]: row[1] for row in result}


async def _insert_many(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK * 5):
        await conn.execute(insert(table), rows[start : start + CHUNK * 5])


class SqlCatalogBulkRepository:
    """The functions above bound to the unit of work's connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def taken_handles(self, handles: Iterable[str]) -> set[str]:
        return await taken_handles(self.conn, handles)

    async def variant_ids(self, skus: Iterable[str]) -> dict[str, int]:
        return await variant_ids(self.conn, skus)

    async def channel_ids(self, codes: Iterable[str]) -> dict[str, int]:
        return await channel_ids(self.conn, codes)

    async def category_ids(self, codes: Iterable[str]) -> dict[str, int]:
        return await category_ids(self.conn, codes)

    async def insert_products(
        self,
        commands: Sequence[CreateProduct],
        category_ids: Mapping[str, int],
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> int:
        return await insert_products(
            self.conn, commands, category_ids, channel_ids, existing_variant_ids
        )
