"""Catalog writes and the lookups the catalog handlers need."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import (
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    Variant,
)
from persistence import mappers
from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import categories, channels, kit_components, prices, products, variants


class SqlCatalogRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def channels_by_code(self, codes: Iterable[str]) -> dict[str, Channel]:
        wanted = list(set(codes))
        if not wanted:
            return {}
        rows = await self.conn.execute(select(channels).where(channels.c.code.in_(wanted)))
        return {row.code: mappers.channel(row) for row in rows}

    async def category_by_code(self, code: str) -> Category | None:
        row = (await self.conn.execute(select(categories).where(categories.c.code == code))).first()
        return mappers.category(row) if row else None

    async def handle_exists(self, handle: str) -> bool:
        query = select(products.c.id).where(products.c.handle == handle)
        return (await self.conn.execute(query)).first() is not None

    async def variants_by_sku(self, skus: Iterable[str]) -> dict[str, Variant]:
        wanted = list(set(skus))
        found: dict[str, Variant] = {}
        size = 1000 if self.db.is_sqlite else 10_000  # SQLite binds one parameter per value
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            query = select(variants).where(self.db.one_of(variants.c.sku, chunk))
            found.update((row.sku, mappers.variant(row)) for row in await self.conn.execute(query))
        return found

    async def add_channel(self, cmd: CreateChannel) -> Channel:
        values = {"code": cmd.code, "name": cmd.name, "currency": cmd.currency}
        result = await self.conn.execute(
            insert(channels).values(**values, created_at=utcnow()).returning(channels.c.id)
        )
        return Channel(result.scalar_one(), cmd.code, cmd.name, cmd.currency)

    async def add_category(self, cmd: CreateCategory, parent_id: int | None) -> Category:
        result = await self.conn.execute(
            insert(categories)
            .values(code=cmd.code, name=cmd.name, parent_id=parent_id)
            .returning(categories.c.id)
        )
        return Category(result.scalar_one(), cmd.code, cmd.name, parent_id)

    async def add_product(
        self,
        cmd: CreateProduct,
        category_id: int | None,
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> Product:
        product_id = (
            await self.conn.execute(
                insert(products)
                .values(
                    handle=cmd.handle,
                    title=cmd.title,
                    description=cmd.description,
                    category_id=category_id,
                    created_at=utcnow(),
                )
                .returning(products.c.id)
            )
        ).scalar_one()
        ids = dict(existing_variant_ids)
        for spec in cmd.variants:
            ids[spec.sku] = (
                await self.conn.execute(
                    insert(variants)
                    .values(
                        product_id=product_id,
                        sku=spec.sku,
                        title=spec.title,
                        unit_cost=spec.unit_cost,
                        is_kit=bool(spec.kit_components),
                    )
                    .returning(variants.c.id)
                )
            ).scalar_one()
        price_rows = [
            {"variant_id": ids[v.sku], "channel_id": channel_ids[p.channel], "amount": p.amount}
            for v in cmd.variants
            for p in v.prices
        ]
        component_rows = [
            {"kit_id": ids[v.sku], "component_id": ids[c.sku], "quantity": c.quantity}
            for v in cmd.variants
            for c in v.kit_components
        ]
        if price_rows:
            await self.conn.execute(insert(prices), price_rows)
        if component_rows:
            await self.conn.execute(insert(kit_components), component_rows)
        return Product(product_id, cmd.handle, cmd.title, cmd.description, category_id)
