"""Catalog types: channels, categories, products, variants, kits."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain.catalog import model
from resolvers import availability as availability_resolvers
from resolvers import catalog as r
from resolvers import ids
from schema.common import Info, Money, Node, PageInfo, UserError

if TYPE_CHECKING:
    from schema.inventory import InventoryView, SkuAvailability

InventoryViewRef = Annotated["InventoryView", strawberry.lazy("schema.inventory")]
SkuAvailabilityRef = Annotated["SkuAvailability", strawberry.lazy("schema.inventory")]


@strawberry.type(description="A sales channel (web, app, marketplace, POS) with its currency.")
class Channel(Node):
    code: str
    name: str
    currency: str

    @strawberry.field
    def id(root: strawberry.Parent[model.Channel]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Channel", root.id))

    @strawberry.field(description="Which locations count for this channel, with buffers and caps.")
    async def inventory_view(
        root: strawberry.Parent[model.Channel], info: Info
    ) -> InventoryViewRef:  # type: ignore[misc]
        return await r.channel_view(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Channel)


@strawberry.type
class Category(Node):
    code: str
    name: str

    @strawberry.field
    def id(root: strawberry.Parent[model.Category]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Category", root.id))

    @strawberry.field
    async def parent(root: strawberry.Parent[model.Category], info: Info) -> Category | None:  # type: ignore[misc]
        return await r.category_parent(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Category)


@strawberry.type
class Product(Node):
    handle: str
    title: str
    description: str | None

    @strawberry.field
    def id(root: strawberry.Parent[model.Product]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Product", root.id))

    @strawberry.field
    async def category(root: strawberry.Parent[model.Product], info: Info) -> Category | None:  # type: ignore[misc]
        return await r.product_category(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def variants(root: strawberry.Parent[model.Product], info: Info) -> list[Variant]:  # type: ignore[misc]
        return r.product_variants(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Product)


@strawberry.type(description="A sellable SKU. Kits are bundles of other variants.")
class Variant(Node):
    sku: str
    title: str
    is_kit: bool

    @strawberry.field
    def id(root: strawberry.Parent[model.Variant]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Variant", root.id))

    unit_cost: Decimal | None = strawberry.field(description="Unit cost, for margin reporting.")

    @strawberry.field
    async def product(root: strawberry.Parent[model.Variant], info: Info) -> Product:  # type: ignore[misc]
        return await r.variant_product(info.context, root)  # type: ignore[return-value]

    @strawberry.field(description="Price in the channel's price list; null if not sold there.")
    def price(root: strawberry.Parent[model.Variant], info: Info, channel: str) -> Money | None:  # type: ignore[misc]
        return r.variant_price(info.context, root, channel)  # type: ignore[return-value]

    @strawberry.field(description="Components and quantities; empty unless isKit.")
    async def kit_components(
        root: strawberry.Parent[model.Variant], info: Info
    ) -> list[KitComponent]:  # type: ignore[misc]
        return await r.kit_components(info.context, root)  # type: ignore[return-value]

    @strawberry.field(description="Channel ATP with ship/pickup split and per-location detail.")
    async def availability(
        root: strawberry.Parent[model.Variant], info: Info, channel: str
    ) -> SkuAvailabilityRef:  # type: ignore[misc]
        return await availability_resolvers.variant_availability(info.context, root, channel)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Variant)


@strawberry.type
class KitComponent:
    quantity: int

    @strawberry.field
    async def variant(root: strawberry.Parent[model.KitComponent], info: Info) -> Variant:  # type: ignore[misc]
        return await r.kit_component_variant(info.context, root)  # type: ignore[return-value]


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class ChannelPayload:
    channel: Channel | None
    user_errors: list[UserError]


@strawberry.type
class CategoryPayload:
    category: Category | None
    user_errors: list[UserError]
