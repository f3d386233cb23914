"""Inventory types: positions, views, availability, ingest results, feed events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from domain.inventory import model
from domain.inventory.ingest import BatchResult
from resolvers import ids
from resolvers import inventory as r
from schema.common import Info, LocationKind, Node, PageInfo, UserError
from schema.locations import Location


@strawberry.type(description="Expected supply, e.g. an open purchase order.")
class IncomingSupply:
    quantity: int
    expected_at: date
    reference: str | None

    @strawberry.field
    async def location(root: strawberry.Parent[model.IncomingSupply], info: Info) -> Location:  # type: ignore[misc]
        return await r.incoming_location(info.context, root)  # type: ignore[return-value]


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


@strawberry.type
class InventoryPositionEdge:
    cursor: str
    node: InventoryPosition


@strawberry.type
class InventoryPositionConnection:
    edges: list[InventoryPositionEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


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


@strawberry.type
class InventoryViewPayload:
    inventory_view: InventoryView | None
    user_errors: list[UserError]


@strawberry.type
class LocationAvailability:
    location: Location
    available: int
    distance_km: float | None = strawberry.field(description="From `near`, when given.")


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


@strawberry.type
class AvailabilityEvent:
    sku: str
    channel: str
    available: int
    at: datetime
