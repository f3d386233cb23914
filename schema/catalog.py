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
from schema.inputs import CategoryInput, ChannelInput, ProductCreateInput, ProductFilter
from schema.policy import CATALOG, COST, PUBLIC, guard, needs

if TYPE_CHECKING:
    from schema.inventory import InventoryView, SkuAvailability

InventoryViewRef = Annotated["InventoryView", strawberry.lazy("schema.inventory")]
SkuAvailabilityRef = Annotated["SkuAvailability", strawberry.lazy("schema.inventory")]


@guard(
    id=CATALOG,
    code=CATALOG,
    name=CATALOG,
    currency=CATALOG,
    inventoryView=needs("inventory:read", no_location_binding=True),
)
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


@guard(id=CATALOG, code=CATALOG, name=CATALOG, parent=CATALOG)
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


@guard(
    id=CATALOG,
    handle=CATALOG,
    title=CATALOG,
    description=CATALOG,
    category=CATALOG,
    variants=CATALOG,
)
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


@guard(
    id=CATALOG,
    sku=CATALOG,
    title=CATALOG,
    isKit=CATALOG,
    unitCost=COST,
    product=CATALOG,
    price=needs("catalog:read", channel_arg="channel"),
    kitComponents=CATALOG,
    availability=needs("inventory:read", no_location_binding=True, channel_arg="channel"),
)
@strawberry.type(description="A sellable SKU. Kits are bundles of other variants.")
class Variant(Node):
    sku: str
    title: str
    is_kit: bool

    @strawberry.field
    def id(root: strawberry.Parent[model.Variant]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Variant", root.id))

    unit_cost: Decimal | None = strawberry.field(
        description="Unit cost, for margin reporting. Needs catalog:write or finance:read."
    )

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


@guard(variant=CATALOG, quantity=CATALOG)
@strawberry.type
class KitComponent:
    quantity: int

    @strawberry.field
    async def variant(root: strawberry.Parent[model.KitComponent], info: Info) -> Variant:  # type: ignore[misc]
        return await r.kit_component_variant(info.context, root)  # type: ignore[return-value]


@guard(cursor=CATALOG, node=CATALOG)
@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@guard(edges=CATALOG, pageInfo=CATALOG, totalCount=CATALOG)
@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@guard(product=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class ProductPayload:
    product: Product | None
    user_errors: list[UserError]


@guard(channel=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class ChannelPayload:
    channel: Channel | None
    user_errors: list[UserError]


@guard(category=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class CategoryPayload:
    category: Category | None
    user_errors: list[UserError]


@guard(
    channels=CATALOG,
    products=needs("catalog:read", channel_arg="channel"),
    product=CATALOG,
    variant=CATALOG,
)
@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Sales channels (a channel-bound token sees its own).")
    async def channels(self, info: Info) -> list[Channel]:
        return await r.channels(info.context)  # type: ignore[return-value]

    @strawberry.field(
        description="Products, filtered; `channel` keeps those priced there (a channel-bound "
        "token always sees its own channel's assortment)."
    )
    async def products(
        self,
        info: Info,
        channel: str | None = None,
        filter: ProductFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> ProductConnection:
        return await r.products(info.context, info, channel, filter, first, after)  # type: ignore[return-value]

    @strawberry.field
    async def product(self, info: Info, handle: str) -> Product | None:
        return await r.product_by_handle(info.context, handle)  # type: ignore[return-value]

    @strawberry.field
    async def variant(self, info: Info, sku: str) -> Variant | None:
        return await r.variant_by_sku(info.context, sku)  # type: ignore[return-value]


CATALOG_WRITE = needs("catalog:write", unbound_only=True)


@guard(productCreate=CATALOG_WRITE, channelCreate=CATALOG_WRITE, categoryCreate=CATALOG_WRITE)
@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        return await r.product_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Open a sales channel (starts with an empty inventory view).")
    async def channel_create(self, info: Info, input: ChannelInput) -> ChannelPayload:
        return await r.channel_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation
    async def category_create(self, info: Info, input: CategoryInput) -> CategoryPayload:
        return await r.category_create(info.context, input)  # type: ignore[return-value]
