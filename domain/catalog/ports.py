"""What catalog use cases need from persistence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from domain.catalog.model import (
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    Variant,
)


class CatalogRepository(Protocol):
    async def channels_by_code(self, codes: Iterable[str]) -> dict[str, Channel]: ...
    async def category_by_code(self, code: str) -> Category | None: ...
    async def handle_exists(self, handle: str) -> bool: ...
    async def add_channel(self, cmd: CreateChannel) -> Channel: ...
    async def add_category(self, cmd: CreateCategory, parent_id: int | None) -> Category: ...
    async def variants_by_sku(self, skus: Iterable[str]) -> dict[str, Variant]: ...
    async def add_product(
        self,
        cmd: CreateProduct,
        category_id: int | None,
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> Product: ...


class CatalogBulkRepository(Protocol):
    """Set-based lookups and inserts for the bulk catalog import."""

    async def taken_handles(self, handles: Iterable[str]) -> set[str]: ...
    async def variant_ids(self, skus: Iterable[str]) -> dict[str, int]: ...
    async def channel_ids(self, codes: Iterable[str]) -> dict[str, int]: ...
    async def category_ids(self, codes: Iterable[str]) -> dict[str, int]: ...
    async def insert_products(
        self,
        commands: Sequence[CreateProduct],
        category_ids: Mapping[str, int],
        channel_ids: Mapping[str, int],
        existing_variant_ids: Mapping[str, int],
    ) -> int: ...


class CatalogPorts(Protocol):
    """The catalog's part of the unit of work."""

    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def catalog_bulk(self) -> CatalogBulkRepository: ...
