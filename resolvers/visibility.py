"""Row-level visibility applied at every entry point that loads by id or code.

What a binding lets a token see is decided by the domain's Actor (domain/access.py); this
module applies it to loaded objects. An object the actor may not see comes back as None,
exactly like one that does not exist.
"""

from __future__ import annotations

from domain.catalog.model import Category, Channel, Product, Variant
from domain.customers.model import Customer
from domain.inventory.model import InventoryView
from domain.locations.model import Location
from domain.promotions.model import Promotion
from persistence.reads.orders import FulfillmentView, OrderScope, OrderView
from resolvers.context import Context
from resolvers.errors import forbidden


async def _sold_in_bound_channel(ctx: Context, variant_ids: list[int]) -> bool:
    """Whether any of the variants has a price in the token's channel (its assortment)."""
    channel_code = ctx.actor.channel
    if channel_code is None:
        return True
    channel = (await ctx.reference_data()).channels_by_code.get(channel_code)
    if channel is None or not variant_ids:
        return False
    found = await ctx.loaders.price.load_many([(v, channel.id) for v in variant_ids])
    return any(amount is not None for amount in found)


async def product(ctx: Context, found: Product | None) -> Product | None:
    if found is None or ctx.actor.channel is None:
        return found
    variants = await ctx.loaders.variants_of_product.load(found.id)
    visible = await _sold_in_bound_channel(ctx, [v.id for v in variants])
    return found if visible else None


async def variant(ctx: Context, found: Variant | None) -> Variant | None:
    if found is None or ctx.actor.channel is None:
        return found
    return found if await _sold_in_bound_channel(ctx, [found.id]) else None


def channel(ctx: Context, found: Channel | None) -> Channel | None:
    return found if found is not None and ctx.actor.sees_channel(found.code) else None


def location(ctx: Context, found: Location | None) -> Location | None:
    return found if found is not None and ctx.actor.sees_location(found.code) else None


async def view(ctx: Context, found: InventoryView | None) -> InventoryView | None:
    if found is None:
        return None
    owner = (await ctx.reference_data()).channels_by_id.get(found.channel_id)
    return found if owner is not None and ctx.actor.sees_channel(owner.code) else None


def category(_ctx: Context, found: Category | None) -> Category | None:
    return found  # categories are the catalog's structure, the same for every channel


def location_filter(ctx: Context, requested: str | None) -> str | None:
    """A location-bound token reads only its own location's inventory."""
    bound = ctx.actor.location
    if bound is None:
        return requested
    if requested is not None and requested != bound:
        raise forbidden("This token may only read its own location.")
    return bound


async def channel_locations(ctx: Context) -> frozenset[int] | None:
    """The locations a channel-bound token's stock figures may come from: its channel's
    view. None when the token is not channel-bound."""
    code = ctx.actor.channel
    if code is None:
        return None
    ref = await ctx.reference_data()
    channel = ref.channels_by_code.get(code)
    view = ref.views_by_channel.get(channel.id) if channel is not None else None
    return frozenset(view.location_ids) if view is not None else frozenset()


def channel_filter(ctx: Context, requested: str | None) -> str | None:
    """A channel-bound token lists its own channel's assortment when it names none.

    Naming another channel is refused before execution by the `channel_arg` policy."""
    return requested if requested is not None else ctx.actor.channel


async def order(ctx: Context, found: OrderView | None) -> OrderView | None:
    """Another channel's, another shopper's, or (for a location token) an order without
    work at its location is absent."""
    if found is None:
        return None
    actor = ctx.actor
    codes: list[str] = []
    if actor.location is not None:
        parts: list[FulfillmentView] = await ctx.loaders.order_fulfillments.load(found.id)
        codes = [part.fulfillment.location_code for part in parts]
    return found if actor.sees_order(found.channel, found.email, codes) else None


async def fulfillment(ctx: Context, found: FulfillmentView | None) -> FulfillmentView | None:
    if found is None or not ctx.actor.sees_location(found.fulfillment.location_code):
        return None
    owner = await order(ctx, await ctx.loaders.order.load(found.order_id))
    return found if owner is not None else None


def customer(ctx: Context, found: Customer | None) -> Customer | None:
    """A customer token sees its own customer only."""
    return found if found is not None and ctx.actor.sees_customer(found.email) else None


def promotion(ctx: Context, found: Promotion | None) -> Promotion | None:
    """A channel-bound token sees the promotions of its channel only."""
    if found is None or ctx.actor.channel is None:
        return found
    return found if ctx.actor.channel in found.channels else None


def order_scope(ctx: Context) -> OrderScope:
    """What a list of orders is limited to, from the token's bindings."""
    actor = ctx.actor
    return OrderScope(channel=actor.channel, customer_email=actor.customer, location=actor.location)
