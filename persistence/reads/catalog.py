"""Catalog reads for the API: set-based, one statement per batch, domain objects out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import Category, Channel, KitComponent, Product, Variant
from persistence import mappers
from persistence.database import one_of_on
from persistence.reads import raw
from persistence.tables import categories, channels, kit_components, prices, products, variants


async def all_channels(conn: AsyncConnection) -> list[Channel]:
    rows = await conn.execute(select(channels).order_by(channels.c.id))
    return [mappers.channel(row) for row in rows]


@dataclass(frozen=True, slots=True)
class ProductQuery:
    search: str | None = None
    category_id: int | None = None
    skus: Sequence[str] | None = None
    channel_id: int | None = None


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains `text`": its own %, _ and \\ match only themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: Select[Any], spec: ProductQuery) -> Select[Any]:
    if spec.search:
        # Case-insensitive substring of title or handle (docs/search.md says why not
        # trigram or full-text search yet).
        pattern = contains_pattern(spec.search)
        query = query.where(
            or_(
                func.lower(products.c.title).like(pattern, escape="\\"),
                func.lower(products.c.handle).like(pattern, escape="\\"),
            )
        )
    if spec.category_id is not None:
        subtree = select(categories.c.id).where(
            or_(categories.c.id == spec.category_id, categories.c.parent_id == spec.category_id)
        )
        query = query.where(products.c.category_id.in_(subtree))
    if spec.skus is not None:
        query = query.where(
            products.c.id.in_(select(variants.c.product_id).where(variants.c.sku.in_(spec.skus)))
        )
    if spec.channel_id is not None:
        sold = (
            select(variants.c.product_id)
            .join(prices, prices.c.variant_id == variants.c.id)
            .where(prices.c.channel_id == spec.channel_id)
        )
        query = query.where(products.c.id.in_(sold))
    return query


# The storefront listing's statements for asyncpg (persistence/reads/raw.py), the same
# as the SQLAlchemy ones below them; columns in the order of the domain classes.
_PAGE_COLUMNS = "SELECT id, handle, title, description, category_id FROM products"
_SOLD_IN = (
    "id IN (SELECT variants.product_id FROM variants JOIN prices"
    " ON prices.variant_id = variants.id WHERE prices.channel_id = ${})"
)
VARIANTS_OF_PRODUCTS_PG = (
    "SELECT id, product_id, sku, title, unit_cost, is_kit FROM variants"
    " WHERE product_id = ANY($1::bigint[]) ORDER BY id"
)
PRICES_OF_VARIANTS_PG = (
    "SELECT variant_id, channel_id, amount FROM prices WHERE variant_id = ANY($1::bigint[])"
)
PRICES_OF_VARIANTS_IN_PG = (
    "SELECT variant_id, channel_id, amount FROM prices"
    " WHERE variant_id = ANY($1::bigint[]) AND channel_id = ANY($2::int[])"
)


async def _raw_page(
    conn: AsyncConnection, spec: ProductQuery, after_id: int | None, limit: int
) -> list[Product] | None:
    if spec.search or spec.category_id is not None or spec.skus is not None:
        return None  # the listing's filters stay SQLAlchemy's
    where: list[str] = []
    args: list[Any] = []
    if spec.channel_id is not None:
        args.append(spec.channel_id)
        where.append(_SOLD_IN.format(len(args)))
    if after_id is not None:
        args.append(after_id)
        where.append(f"id > ${len(args)}")
    args.append(limit)
    sql = _PAGE_COLUMNS
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = await raw.fetch(conn, f"{sql} ORDER BY id LIMIT ${len(args)}", *args)
    if rows is None:
        return None
    return [Product(*row) for row in rows]


async def product_page(
    conn: AsyncConnection, spec: ProductQuery, after_id: int | None, limit: int
) -> list[Product]:
    """Keyset pagination by id: stable under concurrent inserts, no OFFSET scans."""
    found = await _raw_page(conn, spec, after_id, limit)
    if found is not None:
        return found
    query = _filtered(select(products), spec)
    if after_id is not None:
        query = query.where(products.c.id > after_id)
    rows = await conn.execute(query.order_by(products.c.id).limit(limit))
    return [mappers.product(row) for row in rows.all()]


async def product_count(conn: AsyncConnection, spec: ProductQuery) -> int:
    query = _filtered(select(func.count()).select_from(products), spec)
    return int((await conn.execute(query)).scalar_one())


async def products_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Product]:
    rows = await conn.execute(select(products).where(products.c.id.in_(list(ids))))
    return {row.id: mappers.product(row) for row in rows}


async def products_by_handles(conn: AsyncConnection, handles: Sequence[str]) -> dict[str, Product]:
    rows = await conn.execute(select(products).where(products.c.handle.in_(list(handles))))
    return {row.handle: mappers.product(row) for row in rows}


async def variants_by_product(
    conn: AsyncConnection, product_ids: Sequence[int]
) -> dict[int, list[Variant]]:
    # The storefront listing's hot path: one array parameter, rows fetched at once.
    records = await raw.fetch(conn, VARIANTS_OF_PRODUCTS_PG, list(product_ids))
    if records is not None:
        by_product: dict[int, list[Variant]] = {}
        for record in records:
            variant = Variant(*record)
            found_list = by_product.get(variant.product_id)
            if found_list is None:
                by_product[variant.product_id] = [variant]
            else:
                found_list.append(variant)
        return by_product
    rows = await conn.execute(
        select(variants)
        .where(one_of_on(conn, variants.c.product_id, product_ids))
        .order_by(variants.c.id)
    )
    found: dict[int, list[Variant]] = {}
    for row in rows.all():
        found.setdefault(row.product_id, []).append(mappers.variant(row))
    return found


async def variants_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Variant]:
    rows = await conn.execute(select(variants).where(variants.c.id.in_(list(ids))))
    return {row.id: mappers.variant(row) for row in rows}


async def variants_by_skus(conn: AsyncConnection, skus: Sequence[str]) -> dict[str, Variant]:
    rows = await conn.execute(select(variants).where(variants.c.sku.in_(list(skus))))
    return {row.sku: mappers.variant(row) for row in rows}


async def prices_for(
    conn: AsyncConnection, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], Decimal]:
    """Prices by (variant id, channel id)."""
    variant_ids = list({v for v, _ in keys})
    channel_ids = list({c for _, c in keys})
    rows = await conn.execute(
        select(prices).where(
            prices.c.variant_id.in_(variant_ids), prices.c.channel_id.in_(channel_ids)
        )
    )
    return {(row.variant_id, row.channel_id): row.amount for row in rows}


async def prices_of_variants(
    conn: AsyncConnection, variant_ids: Sequence[int], channel_ids: Sequence[int] | None = None
) -> dict[tuple[int, int], Decimal]:
    """The prices of these variants, by (variant id, channel id): in these channels, or
    in every channel when `channel_ids` is None."""
    if not variant_ids:
        return {}
    if channel_ids is None:
        records = await raw.fetch(conn, PRICES_OF_VARIANTS_PG, list(variant_ids))
    else:
        records = await raw.fetch(
            conn, PRICES_OF_VARIANTS_IN_PG, list(variant_ids), list(channel_ids)
        )
    if records is not None:
        return {(variant_id, channel_id): amount for variant_id, channel_id, amount in records}
    columns = (prices.c.variant_id, prices.c.channel_id, prices.c.amount)
    query = select(*columns).where(one_of_on(conn, prices.c.variant_id, variant_ids))
    if channel_ids is not None:
        query = query.where(prices.c.channel_id.in_(list(channel_ids)))
    rows = await conn.execute(query)
    return {(variant_id, channel_id): amount for variant_id, channel_id, amount in rows.all()}


async def categories_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Category]:
    rows = await conn.execute(select(categories).where(categories.c.id.in_(list(ids))))
    return {row.id: mappers.category(row) for row in rows}


async def categories_by_codes(conn: AsyncConnection, codes: Sequence[str]) -> dict[str, Category]:
    rows = await conn.execute(select(categories).where(categories.c.code.in_(list(codes))))
    return {row.code: mappers.category(row) for row in rows}


async def kit_components_of(
    conn: AsyncConnection, kit_ids: Sequence[int]
) -> dict[int, list[KitComponent]]:
    rows = await conn.execute(
        select(kit_components)
        .where(kit_components.c.kit_id.in_(list(kit_ids)))
        .order_by(kit_components.c.kit_id, kit_components.c.component_id)
    )
    found: dict[int, list[KitComponent]] = {}
    for row in rows:
        found.setdefault(row.kit_id, []).append(mappers.kit_component(row))
    return found
