"""The root types and the Schema object, composed from the per-feature modules."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import date
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from resolvers import availability, catalog, inventory, locations, node, tokens
from resolvers.inventory_upload import inventory_upload as upload_counts
from resolvers.pagination import MAX_PAGE
from schema.catalog import (
    CategoryPayload,
    Channel,
    ChannelPayload,
    Product,
    ProductConnection,
    ProductPayload,
    Variant,
)
from schema.common import GeoPointInput, Info, Node
from schema.inputs import (
    ApiTokenInput,
    CategoryInput,
    ChannelInput,
    InventoryAdjustInput,
    InventorySetInput,
    InventoryViewInput,
    LocationInput,
    ProductCreateInput,
    ProductFilter,
)
from schema.inventory import (
    AvailabilityEvent,
    InventoryPositionConnection,
    InventoryUpdateResult,
    InventoryView,
    InventoryViewPayload,
    SkuAvailability,
)
from schema.locations import Location, LocationConnection, LocationPayload
from schema.tokens import ApiToken, ApiTokenPayload, TokenRevokeMutation
from subscriptions import resolvers as subscription_resolvers


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await node.node(info.context, id)  # type: ignore[no-any-return]

    @strawberry.field(description="Sales channels (a channel-bound token sees its own).")
    async def channels(self, info: Info) -> list[Channel]:
        return await catalog.channels(info.context)  # type: ignore[return-value]

    @strawberry.field(description="Products, filtered; `channel` keeps those priced there.")
    async def products(
        self,
        info: Info,
        channel: str | None = None,
        filter: ProductFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> ProductConnection:
        return await catalog.products(info.context, info, channel, filter, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def product(self, info: Info, handle: str) -> Product | None:
        return await catalog.product_by_handle(info.context, handle)  # type: ignore[return-value]

    @strawberry.field
    async def variant(self, info: Info, sku: str) -> Variant | None:
        return await catalog.variant_by_sku(info.context, sku)  # type: ignore[return-value]

    @strawberry.field
    async def locations(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> LocationConnection:
        return await locations.locations(info.context, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Positions by SKU and/or location, paginated.")
    async def inventory_positions(
        self,
        info: Info,
        sku: str | None = None,
        location: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> InventoryPositionConnection:
        return await inventory.positions(info.context, sku, location, first, after)  # type: ignore[return-value]

    @strawberry.field(
        description="Channel ATP for SKUs; `near`/`radiusKm` limit and order locations."
    )
    async def availability(
        self,
        info: Info,
        channel: str,
        skus: list[str],
        near: GeoPointInput | None = None,
        radius_km: float | None = None,
    ) -> list[SkuAvailability]:
        return await availability.availability(info.context, info, channel, skus, near, radius_km)  # type: ignore[return-value]

    @strawberry.field(description="The token making this request; null when anonymous.")
    def viewer(self, info: Info) -> ApiToken | None:
        return tokens.viewer(info.context)  # type: ignore[return-value]

    @strawberry.field(description="Limits this server applies to queries.")
    def api_limits(self) -> JSON:
        return {"maxPageSize": MAX_PAGE}  # type: ignore[return-value]


@strawberry.type
class Mutation(TokenRevokeMutation):
    @strawberry.mutation
    async def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        return await catalog.product_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Open a sales channel (starts with an empty inventory view).")
    async def channel_create(self, info: Info, input: ChannelInput) -> ChannelPayload:
        return await catalog.channel_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation
    async def category_create(self, info: Info, input: CategoryInput) -> CategoryPayload:
        return await catalog.category_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation
    async def location_create(self, info: Info, input: LocationInput) -> LocationPayload:
        return await locations.location_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Create or replace a channel's inventory view.")
    async def inventory_view_upsert(
        self,
        info: Info,
        channel: str,
        input: InventoryViewInput,
    ) -> InventoryViewPayload:
        return await inventory.inventory_view_upsert(info.context, channel, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Absolute counts as of a time; up to 10,000 per call.")
    async def inventory_set(
        self, info: Info, updates: list[InventorySetInput]
    ) -> InventoryUpdateResult:
        return await inventory.inventory_set(info.context, updates)  # type: ignore[return-value]

    @strawberry.mutation(description="Idempotent deltas by eventId; up to 10,000 per call.")
    async def inventory_adjust(
        self, info: Info, updates: list[InventoryAdjustInput]
    ) -> InventoryUpdateResult:
        return await inventory.inventory_adjust(info.context, updates)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Absolute counts from a CSV file (multipart upload), applied like "
        "inventorySet in batches of 5,000, each batch atomic; re-sending the file is safe. "
        "Header: sku,location,on_hand,as_of[,unsellable][,safety_stock]; as_of is ISO 8601 "
        'with offset. userErrors name the CSV line (the header is line 1): field ["file",'
        '"line","<N>","<column>"], without the column for a whole-line problem, ["file"] for '
        "the file; at most 1,000 are listed."
    )
    async def inventory_upload(self, info: Info, file: Upload) -> InventoryUpdateResult:
        return await upload_counts(info.context, file)  # type: ignore[arg-type,return-value]

    @strawberry.mutation
    async def incoming_supply_add(
        self,
        info: Info,
        sku: str,
        location: str,
        quantity: int,
        expected_at: date,
        reference: str | None = None,
    ) -> InventoryUpdateResult:
        return await inventory.incoming_supply_add(  # type: ignore[return-value]
            info.context, sku, location, quantity, expected_at, reference
        )

    @strawberry.mutation(description="Issue a token; the secret is in this response only.")
    async def api_token_create(self, info: Info, input: ApiTokenInput) -> ApiTokenPayload:
        return await tokens.api_token_create(info.context, input)  # type: ignore[return-value]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="ATP feed for a channel: fires when a SKU's ATP moves.")
    async def availability_changed(
        self, info: Info, channel: str, skus: list[str] | None = None
    ) -> AsyncGenerator[AvailabilityEvent, None]:
        async for event in subscription_resolvers.availability_changed(info.context, channel, skus):
            yield event  # type: ignore[misc]


def build_schema(
    extensions: Sequence[Any] = (),
) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[InventoryView, Location, Product, Variant, Channel],
        extensions=list(extensions),
    )
