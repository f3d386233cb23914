"""What the domain needs from the outside world. Persistence implements these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from domain.catalog.model import (
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    Variant,
)
from domain.inventory.ingest import PositionState
from domain.inventory.model import InventoryView
from domain.locations.model import CreateLocation, Location
from domain.tokens.model import ApiToken, CreateToken, TokenKind

PositionKey = tuple[int, int]  # (variant id, location id)


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


class LocationRepository(Protocol):
    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]: ...
    async def all(self) -> list[Location]: ...
    async def add(self, cmd: CreateLocation) -> Location: ...


class TokenRepository(Protocol):
    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken: ...

    async def by_id(self, token_id: int) -> ApiToken | None: ...

    async def revoke(self, token_id: int, at: datetime) -> ApiToken:
        """Mark revoked (keeping an earlier revocation time) and return the token."""
        ...


class InventoryRepository(Protocol):
    async def lock_positions(self, keys: Sequence[PositionKey]) -> dict[PositionKey, PositionState]:
        """Current state of each position, locked for this unit of work; missing ones are zero."""
        ...

    async def movements_since(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> dict[PositionKey, list[tuple[datetime, int]]]:
        """Non-count movements recorded after `since`, per position."""
        ...

    async def claim_events(self, rows: Sequence[Mapping[str, Any]]) -> set[str]:
        """Journal adjustments; returns the event ids that were new (the rest are duplicates)."""
        ...

    async def save_positions(
        self, states: Mapping[PositionKey, PositionState], now: datetime
    ) -> None: ...

    async def journal_counts(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    async def add_incoming(
        self, key: PositionKey, quantity: int, expected_at: date, reference: str | None
    ) -> None: ...


class ChannelAtpRepository(Protocol):
    """Views, the per-channel ATP sums ingest keeps current, and last published values."""

    async def views(self) -> list[tuple[InventoryView, str]]:
        """Every channel's view with its channel code."""
        ...

    async def upsert_view(self, view: InventoryView, now: datetime) -> InventoryView: ...

    async def add_atp_deltas(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        """Add (total, ship, pickup) deltas per (channel, variant); returns (new raw total,
        last published) for each."""
        ...

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None: ...

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]: ...

    async def kits_containing(
        self, component_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[tuple[int, int]]]]:
        """Kit id -> (kit SKU, [(component id, quantity)]) for every kit using these."""
        ...

    async def position_availability(
        self, location_ids: Sequence[int]
    ) -> list[tuple[int, str, int, PositionState]]: ...

    async def published_for_channel(self, channel_id: int) -> dict[int, int]: ...

    async def sku_of(self, variant_id: int) -> str: ...

    async def replace_channel_atp(
        self,
        channel_id: int,
        raw: Mapping[int, tuple[int, int, int]],
        published: Mapping[int, int],
    ) -> None: ...


class Outbox(Protocol):
    def add(self, topic: str, payload: dict[str, Any]) -> None: ...


class UnitOfWork(Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def catalog_bulk(self) -> CatalogBulkRepository: ...
    @property
    def locations(self) -> LocationRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def inventory(self) -> InventoryRepository: ...
    @property
    def channel_atp(self) -> ChannelAtpRepository: ...
    @property
    def outbox(self) -> Outbox: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...
