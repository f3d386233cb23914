"""Catalog fakes: channels, categories, products, variants and kits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from domain.catalog.model import (
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    Variant,
)


class FakeCatalog:
    STATE = ("channels", "categories", "products", "variants", "kits")

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.categories: dict[str, Category] = {}
        self.products: dict[str, Product] = {}
        self.variants: dict[str, Variant] = {}
        self.kits: dict[int, list[tuple[int, int]]] = {}  # kit id -> [(component id, qty)]

    async def channels_by_code(self, codes: Iterable[str]) -> dict[str, Channel]:
        return {c: self.channels[c] for c in codes if c in self.channels}

    async def category_by_code(self, code: str) -> Category | None:
        return self.categories.get(code)

    async def handle_exists(self, handle: str) -> bool:
        return handle in self.products

    async def variants_by_sku(self, skus: Iterable[str]) -> dict[str, Variant]:
        return {s: self.variants[s] for s in skus if s in self.variants}

    async def add_channel(self, cmd: CreateChannel) -> Channel:
        channel = Channel(len(self.channels) + 1, cmd.code, cmd.name, cmd.currency)
        self.channels[cmd.code] = channel
        return channel

    async def add_category(self, cmd: CreateCategory, parent_id: int | None) -> Category:
        category = Category(len(self.categories) + 1, cmd.code, cmd.name, parent_id)
        self.categories[cmd.code] = category
        return category

    async def add_product(
        self,
        cmd: CreateProduct,
        category_id: int | None,
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> Product:
        product = Product(
            len(self.products) + 1, cmd.handle, cmd.title, cmd.description, category_id
        )
        self.products[cmd.handle] = product
        for spec in cmd.variants:
            self.variants[spec.sku] = Variant(
                len(self.variants) + 1,
                product.id,
                spec.sku,
                spec.title,
                spec.unit_cost,
                bool(spec.kit_components),
            )
        # Components may be variants of this very product, so they resolve after it.
        for spec in cmd.variants:
            if spec.kit_components:
                self.kits[self.variants[spec.sku].id] = [
                    (self.variants[part.sku].id, part.quantity) for part in spec.kit_components
                ]
        return product

    def channel_code(self, channel_id: int) -> str:
        return next(c.code for c in self.channels.values() if c.id == channel_id)

    def sku(self, variant_id: int) -> str:
        return next(v.sku for v in self.variants.values() if v.id == variant_id)


class FakeCatalogBulk:
    """The bulk import's lookups and inserts, over the same catalog."""

    STATE = ()

    def __init__(self, catalog: FakeCatalog) -> None:
        self.catalog = catalog

    async def taken_handles(self, handles: Iterable[str]) -> set[str]:
        return {h for h in handles if h in self.catalog.products}

    async def variant_ids(self, skus: Iterable[str]) -> dict[str, int]:
        return {s: v.id for s, v in (await self.catalog.variants_by_sku(skus)).items()}

    async def channel_ids(self, codes: Iterable[str]) -> dict[str, int]:
        return {c: ch.id for c, ch in (await self.catalog.channels_by_code(codes)).items()}

    async def category_ids(self, codes: Iterable[str]) -> dict[str, int]:
        found = self.catalog.categories
        return {c: found[c].id for c in codes if c in found}

    async def insert_products(
        self,
        commands: Sequence[CreateProduct],
        category_ids: Mapping[str, int],
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> int:
        for cmd in commands:
            category_id = category_ids[cmd.category] if cmd.category else None
            await self.catalog.add_product(cmd, category_id, channel_ids, existing_variant_ids)
        return len(commands)
