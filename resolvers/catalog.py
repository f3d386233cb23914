"""Catalog resolvers: queries, nested fields and mutations."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog import handlers
from domain.catalog.model import (
    Category,
    Channel,
    ComponentSpec,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    KitComponent,
    PriceSpec,
    Product,
    Variant,
    VariantSpec,
)
from domain.errors import DomainError
from domain.inventory.model import InventoryView
from domain.money import round_money
from persistence.reads import catalog as reads
from resolvers import visibility
from resolvers.context import Context
from resolvers.errors import checked_cursor
from resolvers.ids import cursor
from resolvers.lookahead import selected, selects, string_arguments
from resolvers.pagination import Connection, connection, empty_connection, page_size
from resolvers.results import Result
from resolvers.visibility import channel_filter

if TYPE_CHECKING:
    from schema.inputs import CategoryInput, ChannelInput, ProductCreateInput, ProductFilter


class Money:
    __slots__ = ("amount", "currency")

    def __init__(self, amount: Decimal, currency: str) -> None:
        self.amount = round_money(amount, currency)
        self.currency = currency


async def channels(ctx: Context) -> list[Channel]:
    ref = await ctx.reference_data()
    found = sorted(ref.channels_by_id.values(), key=lambda c: c.id)
    return [c for c in found if ctx.actor.sees_channel(c.code)]


async def products(
    ctx: Context,
    info: Any,
    channel: str | None,
    filter: ProductFilter | None,
    first: int | None,
    after: str | None,
) -> Connection[Product]:
    ref = await ctx.reference_data()
    after_key = checked_cursor(after)
    channel = channel_filter(ctx, channel)
    channel_id = None
    if channel is not None:
        found = ref.channels_by_code.get(channel)
        if found is None:
            return empty_connection()
        channel_id = found.id
    category_id = None
    if filter is not None and filter.category is not None:
        category = await ctx.loaders.category_by_code.load(filter.category)
        if category is None:
            return empty_connection()
        category_id = category.id
    spec = reads.ProductQuery(
        search=filter.search if filter else None,
        category_id=category_id,
        skus=filter.skus if filter else None,
        channel_id=channel_id,
    )
    limit = page_size(first, 20)
    async with ctx.db.read() as conn:
        rows = await reads.product_page(conn, spec, after_key[0] if after_key else None, limit + 1)
        if selects(info, ("edges", "node", "variants")):
            await _prefetch_variants(ctx, conn, [p.id for p in rows[:limit]], info)
    for product in rows:
        ctx.loaders.product.prime(product.id, product)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.product_count(conn, spec)

    return connection(rows, limit, lambda p: cursor(p.id), after_key is not None, count)


async def _prefetch_variants(
    ctx: Context, conn: AsyncConnection, product_ids: list[int], info: Any
) -> None:
    """The storefront listing's hot path: variants and their prices in two statements."""
    if not product_ids:
        return
    found = await reads.variants_by_product(conn, product_ids)
    prefetched = ctx.prefetched
    for product_id in product_ids:
        prefetched.variants_by_product[product_id] = found.get(product_id, [])
    price_nodes = selected(info, ("edges", "node", "variants", "price"))
    if price_nodes:
        variant_ids = [v.id for variants in found.values() for v in variants]
        # Only the channels the document asks prices in, when it names them all.
        codes = string_arguments(info, price_nodes, "channel")
        if codes is None:
            prefetched.prices.update(await reads.prices_of_variants(conn, variant_ids))
            prefetched.priced_variants.update(variant_ids)
            return
        ref = await ctx.reference_data()
        channel_ids = [c.id for code in codes if (c := ref.channels_by_code.get(code))]
        if channel_ids:
            prefetched.prices.update(await reads.prices_of_variants(conn, variant_ids, channel_ids))
            for channel_id in channel_ids:
                prefetched.priced_in.setdefault(channel_id, set()).update(variant_ids)


async def product_by_handle(ctx: Context, handle: str) -> Product | None:
    return await visibility.product(ctx, await ctx.loaders.product_by_handle.load(handle))


async def variant_by_sku(ctx: Context, sku: str) -> Variant | None:
    return await visibility.variant(ctx, await ctx.loaders.variant_by_sku.load(sku))


def product_variants(ctx: Context, product: Product) -> list[Variant] | Awaitable[list[Variant]]:
    """Synchronous when the listing prefetched them; a dataloader otherwise."""
    prefetched = ctx.prefetched.variants_by_product.get(product.id)
    if prefetched is not None:
        return prefetched
    loaded: Awaitable[list[Variant]] = ctx.loaders.variants_of_product.load(product.id)
    return loaded


async def product_category(ctx: Context, product: Product) -> Category | None:
    if product.category_id is None:
        return None
    category: Category | None = await ctx.loaders.category.load(product.category_id)
    return category


async def category_parent(ctx: Context, category: Category) -> Category | None:
    if category.parent_id is None:
        return None
    parent: Category | None = await ctx.loaders.category.load(category.parent_id)
    return parent


async def variant_product(ctx: Context, variant: Variant) -> Product:
    product: Product = await ctx.loaders.product.load(variant.product_id)
    return product


def variant_price(
    ctx: Context, variant: Variant, channel: str
) -> Money | Awaitable[Money | None] | None:
    """The price in the channel's price list; null when not sold there (or unknown channel).

    Synchronous when the listing prefetched prices; a dataloader otherwise.
    """
    ref = ctx.ref
    if ref is None:
        return _load_price(ctx, variant, channel)
    found = ref.channels_by_code.get(channel)
    if found is None:
        return None
    prefetched = ctx.prefetched
    if variant.id not in prefetched.priced_variants:
        fetched = prefetched.priced_in.get(found.id)
        if fetched is None or variant.id not in fetched:
            return _load_price(ctx, variant, channel)
    amount = prefetched.prices.get((variant.id, found.id))
    return None if amount is None else Money(amount, found.currency)


async def _load_price(ctx: Context, variant: Variant, channel: str) -> Money | None:
    found = (await ctx.reference_data()).channels_by_code.get(channel)
    if found is None:
        return None
    amount: Decimal | None = await ctx.loaders.price.load((variant.id, found.id))
    return None if amount is None else Money(amount, found.currency)


async def kit_components(ctx: Context, variant: Variant) -> list[KitComponent]:
    if not variant.is_kit:
        return []
    found: list[KitComponent] = await ctx.loaders.kit_components.load(variant.id)
    return found


async def kit_component_variant(ctx: Context, component: KitComponent) -> Variant:
    variant: Variant = await ctx.loaders.variant.load(component.component_id)
    return variant


async def channel_view(ctx: Context, channel: Channel) -> InventoryView:
    view = (await ctx.reference_data()).views_by_channel.get(channel.id)
    return view or InventoryView(id=0, channel_id=channel.id, code=channel.code, location_ids=())


def to_create_product(data: ProductCreateInput) -> CreateProduct:
    return CreateProduct(
        handle=data.handle,
        title=data.title,
        description=data.description,
        category=data.category,
        variants=tuple(
            VariantSpec(
                sku=v.sku,
                title=v.title,
                unit_cost=v.unit_cost,
                prices=tuple(PriceSpec(p.channel, p.amount) for p in v.prices or ()),
                kit_components=tuple(
                    ComponentSpec(c.sku, c.quantity) for c in v.kit_components or ()
                ),
            )
            for v in data.variants
        ),
    )


async def product_create(ctx: Context, data: ProductCreateInput) -> Result[Product]:
    try:
        product = await handlers.create_product(to_create_product(data), ctx.uow())
    except DomainError as error:
        return Result.failed(error)
    ctx.reference.invalidate()
    return Result(product)


async def channel_create(ctx: Context, data: ChannelInput) -> Result[Channel]:
    try:
        cmd = CreateChannel(data.code, data.name, data.currency)
        channel = await handlers.create_channel(cmd, ctx.uow())
    except DomainError as error:
        return Result.failed(error)
    ctx.reference.invalidate()
    return Result(channel)


async def category_create(ctx: Context, data: CategoryInput) -> Result[Category]:
    try:
        category = await handlers.create_category(
            CreateCategory(data.code, data.name, data.parent), ctx.uow()
        )
    except DomainError as error:
        return Result.failed(error)
    ctx.reference.invalidate()
    return Result(category)
