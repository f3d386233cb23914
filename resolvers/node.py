"""`node(id:)`: global ID -> object, through the same loaders and visibility as elsewhere.

An object comes back only when the token may read its type (the `Type.id` policy) and may
see that row; otherwise null, exactly as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from domain.orders.handlers.carts import view_cart
from resolvers import finance, promotions, returns, visibility
from resolvers.context import Context
from resolvers.ids import parse_global_id
from schema.policy import allows, policy_table


async def node(ctx: Context, info: Any, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, raw = parsed
    if not allows(policy_table(info.schema._schema).get((type_name, "id")), ctx.token):
        return None
    if type_name in TEXT_KEYED:
        return await _load_text(ctx, type_name, raw)
    if not raw.isdigit():
        return None
    return await _load(ctx, type_name, int(raw))


# Types whose ids are minted by the domain (domain/ids.py), not database integers.
TEXT_KEYED = frozenset({"Cart", "Order", "Fulfillment", "Customer"})


async def _load_text(ctx: Context, type_name: str, key: str) -> Any:
    if type_name == "Cart":
        return await view_cart(key, ctx.actor, ctx.uow(), ctx.started)
    if type_name == "Order":
        return await visibility.order(ctx, await ctx.loaders.order.load(key))
    if type_name == "Fulfillment":
        return await visibility.fulfillment(ctx, await ctx.loaders.fulfillment.load(key))
    return visibility.customer(ctx, await ctx.loaders.customer.load(key))


async def _load(ctx: Context, type_name: str, key: int) -> Any:
    if type_name == "Product":
        return await visibility.product(ctx, await ctx.loaders.product.load(key))
    if type_name == "Variant":
        return await visibility.variant(ctx, await ctx.loaders.variant.load(key))
    if type_name == "Category":
        return visibility.category(ctx, await ctx.loaders.category.load(key))
    if type_name == "JournalEntry":
        return await finance.journal_entry(ctx, key)
    if type_name == "Return":
        return await returns.by_id(ctx, key)
    if type_name == "Promotion":
        return await promotions.promotion(ctx, key)
    ref = await ctx.reference_data()
    if type_name == "Location":
        return visibility.location(ctx, ref.locations_by_id.get(key))
    if type_name == "Channel":
        return visibility.channel(ctx, ref.channels_by_id.get(key))
    if type_name == "InventoryView":
        found = next((v for v in ref.views_by_channel.values() if v.id == key), None)
        return await visibility.view(ctx, found)
    return None
