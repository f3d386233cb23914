"""Input types. Shapes only; validation happens in the domain."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.common import AddressInput, GeoPointInput, LocationKind


@strawberry.input
class ProductFilter:
    search: str | None = None
    category: str | None = None
    skus: list[str] | None = None


@strawberry.input
class PriceInput:
    channel: str
    amount: Decimal


@strawberry.input
class KitComponentInput:
    sku: str
    quantity: int


@strawberry.input
class VariantInput:
    sku: str
    title: str
    prices: list[PriceInput] | None = None
    kit_components: list[KitComponentInput] | None = None
    unit_cost: Decimal | None = None


@strawberry.input
class ProductCreateInput:
    handle: str
    title: str
    variants: list[VariantInput]
    description: str | None = None
    category: str | None = None


@strawberry.input(description="A sales channel; its prices form the channel's price list.")
class ChannelInput:
    code: str
    name: str
    currency: str


@strawberry.input
class CategoryInput:
    code: str
    name: str
    parent: str | None = None


@strawberry.input
class LocationInput:
    code: str
    name: str
    kind: LocationKind  # type: ignore[valid-type]
    can_ship: bool
    can_pickup: bool
    geo: GeoPointInput | None = None
    daily_capacity: int | None = None
    address: AddressInput | None = None
    accepts_returns: bool | None = strawberry.field(
        default=None,
        description="Whether returns may be brought or received here; null: by kind "
        "(warehouses, stores, dark stores and 3PLs do; dropship vendors and lockers do not).",
    )


@strawberry.input(description="Absolute count from a system of record, as of a time.")
class InventorySetInput:
    sku: str
    location: str
    on_hand: int
    as_of: datetime
    unsellable: int | None = None
    safety_stock: int | None = None


@strawberry.input(description="Relative movement; eventId makes it idempotent.")
class InventoryAdjustInput:
    sku: str
    location: str
    delta: int
    reason: str
    event_id: str


@strawberry.input
class InventoryViewInput:
    code: str
    locations: list[str]
    safety_buffer: int | None = None
    safety_buffer_percent: int | None = None
    max_available: int | None = None
    excluded_skus: list[str] | None = None
    excluded_location_kinds: list[LocationKind] | None = None  # type: ignore[valid-type]


@strawberry.input
class ApiTokenInput:
    name: str
    kind: str
    scopes: list[str]
    channel: str | None = None
    location: str | None = None
    customer: str | None = strawberry.field(
        default=None, description="Customer tokens: the shopper's e-mail they act for."
    )
