"""In-memory fakes of the ports, so handler tests run without a database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any

from domain.catalog.model import (
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    Variant,
)
from domain.inventory.model import InventoryView
from domain.locations.model import CreateLocation, Location
from domain.tokens.model import ApiToken, CreateToken, TokenKind


class FakeCatalog:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.categories: dict[str, Category] = {}
        self.products: dict[str, Product] = {}
        self.variants: dict[str, Variant] = {}

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
        return product


class FakeLocations:
    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}

    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]:
        return {c: self.locations[c] for c in codes if c in self.locations}

    async def all(self) -> list[Location]:
        return list(self.locations.values())

    async def add(self, cmd: CreateLocation) -> Location:
        location = Location(
            len(self.locations) + 1,
            cmd.code,
            cmd.name,
            cmd.kind,
            cmd.geo,
            cmd.can_ship,
            cmd.can_pickup,
            cmd.daily_capacity,
            0,
            cmd.address,
        )
        self.locations[cmd.code] = location
        return location


class FakeTokens:
    def __init__(self) -> None:
        self.hashes: list[str] = []
        self.tokens: dict[int, ApiToken] = {}

    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken:
        self.hashes.append(secret_hash)
        token = ApiToken(
            len(self.hashes),
            cmd.name,
            kind,
            frozenset(cmd.scopes),
            cmd.channel,
            cmd.location,
            datetime(2026, 1, 1),
        )
        self.tokens[token.id] = token
        return token

    async def by_id(self, token_id: int) -> ApiToken | None:
        return self.tokens.get(token_id)

    async def revoke(self, token_id: int, at: datetime) -> ApiToken:
        token = self.tokens[token_id]
        if token.revoked_at is None:
            token = self.tokens[token_id] = replace(token, revoked_at=at)
        return token


class FakeChannelAtp:
    def __init__(self) -> None:
        self.views: dict[int, InventoryView] = {}

    async def upsert_view(self, view: InventoryView, now: datetime) -> InventoryView:
        self.views[view.channel_id] = view
        return view


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def add(self, topic: str, payload: dict[str, Any]) -> None:
        self.events.append((topic, payload))


class FakeUnitOfWork:
    """Counts commits; the state lives in the fakes, shared across units of work."""

    def __init__(self) -> None:
        self.catalog = FakeCatalog()
        self.locations = FakeLocations()
        self.tokens = FakeTokens()
        self.channel_atp = FakeChannelAtp()
        self.outbox = FakeOutbox()
        self.commits = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1
