"""Inventory types: positions, views, availability, ingest results, feed events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from domain.inventory import model
from domain.inventory.ingest import BatchResult
from resolvers import availability as availability_resolvers
from resolvers import ids
from resolvers import inventory as r
from resolvers.inventory_upload import inventory_upload as upload_counts
from schema.common import GeoPointInput, Info, LocationKind, Node, PageInfo, UserError
from schema.inputs import InventoryAdjustInput, InventorySetInput, InventoryViewInput
from schema.locations import Location
from schema.policy import CHANNEL_STOCK, INVENTORY, PUBLIC, guard, needs
from subscriptions import resolvers as subscription_resolvers

# A channel's view is channel configuration and lists other locations.
VIEW = needs("inventory:read", no_location_binding=True)


@guard(quantity=INVENTORY, expectedAt=INVENTORY, reference=INVENTORY, location=INVENTORY)
@strawberry.type(description="Expected supply, e.g. an open purchase order.")
class IncomingSupply:
    quantity: int
    expected_at: date
    reference: str | None

    @strawberry.field
    async def location(root: strawberry.Parent[model.IncomingSupply], info: Info) -> Location:  # type: ignore[misc]
        return await r.incoming_location(info.context, root)  # type: ignore[return-value]


@guard(
    sku=INVENTORY,
    available=INVENTORY,
    updatedAt=INVENTORY,
    onHand=INVENTORY,
    allocated=INVENTORY,
    reserved=INVENTORY,
    safetyStock=INVENTORY,
    unsellable=INVENTORY,
    location=INVENTORY,
    incoming=INVENTORY,
)
@strawberry.type(
    description="One SKU at one location. "
    "available = max(0, onHand - allocated - reserved - safetyStock - unsellable)"
)
class InventoryPosition:
    sku: str
    available: int
    updated_at: datetime

    @strawberry.field
    def on_hand(root: strawberry.Parent[model.Position]) -> int:  # type: ignore[misc]
        return root.quantities.on_hand

    @strawberry.field(description="Committed to open fulfillments at this location.")
    def allocated(root: strawberry.Parent[model.Position]) -> int:  # type: ignore[misc]
        return root.quantities.allocated

    @strawberry.field(description="Held by carts, expiring.")
    def reserved(root: strawberry.Parent[model.Position]) -> int:  # type: ignore[misc]
        return root.quantities.reserved

    @strawberry.field
    def safety_stock(root: strawberry.Parent[model.Position]) -> int:  # type: ignore[misc]
        return root.quantities.safety_stock

    @strawberry.field(description="Damaged or quarantined.")
    def unsellable(root: strawberry.Parent[model.Position]) -> int:  # type: ignore[misc]
        return root.quantities.unsellable

    @strawberry.field
    async def location(root: strawberry.Parent[model.Position], info: Info) -> Location:  # type: ignore[misc]
        return await r.position_location(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    async def incoming(root: strawberry.Parent[model.Position], info: Info) -> list[IncomingSupply]:  # type: ignore[misc]
        return await r.position_incoming(info.context, root)  # type: ignore[return-value]


@guard(cursor=INVENTORY, node=INVENTORY)
@strawberry.type
class InventoryPositionEdge:
    cursor: str
    node: InventoryPosition


@guard(edges=INVENTORY, pageInfo=INVENTORY, totalCount=INVENTORY)
@strawberry.type
class InventoryPositionConnection:
    edges: list[InventoryPositionEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@guard(applied=PUBLIC, duplicates=PUBLIC, stale=PUBLIC, clamped=PUBLIC, userErrors=PUBLIC)
@strawberry.type(description="Outcome of a batch of inventory updates.")
class InventoryUpdateResult:
    applied: int = strawberry.field(description="Updates that changed state.")
    duplicates: int = strawberry.field(description="Adjustments whose eventId was already applied.")
    stale: int = strawberry.field(description="Absolute updates older than the position's asOf.")
    clamped: int = strawberry.field(
        description="Applied updates whose result would have been below zero and was set to 0."
    )

    @strawberry.field(description='Per update, e.g. field ["updates","3","sku"].')
    def user_errors(root: strawberry.Parent[BatchResult]) -> list[UserError]:  # type: ignore[misc]
        return root.errors or []  # type: ignore[return-value]


@guard(
    id=VIEW,
    code=VIEW,
    safetyBuffer=VIEW,
    safetyBufferPercent=VIEW,
    maxAvailable=VIEW,
    locations=VIEW,
    excludedSkus=VIEW,
    excludedLocationKinds=VIEW,
)
@strawberry.type(description="A channel's virtual view of stock.")
class InventoryView(Node):
    code: str
    safety_buffer: int = strawberry.field(description="Units withheld per location.")
    safety_buffer_percent: int = strawberry.field(
        description="Percent of location available withheld, rounded up."
    )
    max_available: int | None = strawberry.field(description="Cap on the ATP shown; null = none.")

    @strawberry.field
    def id(root: strawberry.Parent[model.InventoryView]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("InventoryView", root.id))

    @strawberry.field
    async def locations(root: strawberry.Parent[model.InventoryView], info: Info) -> list[Location]:  # type: ignore[misc]
        return await r.view_locations(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def excluded_skus(root: strawberry.Parent[model.InventoryView]) -> list[str]:  # type: ignore[misc]
        return sorted(root.excluded_skus)

    @strawberry.field
    def excluded_location_kinds(root: strawberry.Parent[model.InventoryView]) -> list[LocationKind]:  # type: ignore[misc,valid-type]
        return sorted(root.excluded_location_kinds, key=lambda k: k.value)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.InventoryView)


@guard(inventoryView=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class InventoryViewPayload:
    inventory_view: InventoryView | None
    user_errors: list[UserError]


@guard(location=CHANNEL_STOCK, available=CHANNEL_STOCK, distanceKm=CHANNEL_STOCK)
@strawberry.type
class LocationAvailability:
    location: Location
    available: int
    distance_km: float | None = strawberry.field(description="From `near`, when given.")


@guard(
    sku=CHANNEL_STOCK,
    channel=CHANNEL_STOCK,
    available=CHANNEL_STOCK,
    shipAvailable=CHANNEL_STOCK,
    pickupAvailable=CHANNEL_STOCK,
    locations=CHANNEL_STOCK,
    nextIncoming=CHANNEL_STOCK,
)
@strawberry.type
class SkuAvailability:
    sku: str
    channel: str
    available: int = strawberry.field(description="ATP for the channel, after the view's rules.")
    ship_available: int
    pickup_available: int
    locations: list[LocationAvailability] = strawberry.field(
        description="Per-location contribution, only where available > 0; nearest first."
    )
    next_incoming: IncomingSupply | None = strawberry.field(
        description="Earliest future supply, for backorder and preorder promises."
    )


@guard(sku=CHANNEL_STOCK, channel=CHANNEL_STOCK, available=CHANNEL_STOCK, at=CHANNEL_STOCK)
@strawberry.type
class AvailabilityEvent:
    sku: str
    channel: str
    available: int
    at: datetime


# Channel ATP: a channel-bound token asks for its own channel only.
CHANNEL_ATP = needs("inventory:read", no_location_binding=True, channel_arg="channel")


@guard(inventoryPositions=INVENTORY, availability=CHANNEL_ATP)
@strawberry.type
class InventoryQuery:
    @strawberry.field(
        description="Positions by SKU and/or location, paginated (a location-bound token "
        "sees its own location)."
    )
    async def inventory_positions(
        self,
        info: Info,
        sku: str | None = None,
        location: str | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> InventoryPositionConnection:
        return await r.positions(info.context, sku, location, first, after)  # type: ignore[return-value]

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
        return await availability_resolvers.availability(  # type: ignore[return-value]
            info.context, info, channel, skus, near, radius_km
        )


INVENTORY_WRITE = needs("inventory:write")


@guard(
    inventoryViewUpsert=needs("inventory:write", unbound_only=True),
    inventorySet=INVENTORY_WRITE,
    inventoryAdjust=INVENTORY_WRITE,
    inventoryUpload=INVENTORY_WRITE,
    incomingSupplyAdd=INVENTORY_WRITE,
)
@strawberry.type
class InventoryMutation:
    @strawberry.mutation(
        description="Create or replace a channel's inventory view (unbound tokens only)."
    )
    async def inventory_view_upsert(
        self,
        info: Info,
        channel: str,
        input: InventoryViewInput,
    ) -> InventoryViewPayload:
        return await r.inventory_view_upsert(info.context, channel, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Absolute counts as of a time; up to 10,000 per call.")
    async def inventory_set(
        self, info: Info, updates: list[InventorySetInput]
    ) -> InventoryUpdateResult:
        return await r.inventory_set(info.context, updates)  # type: ignore[return-value]

    @strawberry.mutation(description="Idempotent deltas by eventId; up to 10,000 per call.")
    async def inventory_adjust(
        self, info: Info, updates: list[InventoryAdjustInput]
    ) -> InventoryUpdateResult:
        return await r.inventory_adjust(info.context, updates)  # type: ignore[return-value]

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
        return await r.incoming_supply_add(  # type: ignore[return-value]
            info.context, sku, location, quantity, expected_at, reference
        )


@guard(availabilityChanged=CHANNEL_ATP)
@strawberry.type
class InventorySubscription:
    @strawberry.subscription(description="ATP feed for a channel: fires when a SKU's ATP moves.")
    async def availability_changed(
        self, info: Info, channel: str, skus: list[str] | None = None
    ) -> AsyncGenerator[AvailabilityEvent, None]:
        async for event in subscription_resolvers.availability_changed(info.context, channel, skus):
            yield event  # type: ignore[misc]
