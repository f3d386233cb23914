"""`node(id:)`: global ID -> object, through the same loaders and visibility as elsewhere.

An object comes back only when the token may read its type (the `Type.id` policy) and may
see that row; otherwise null, exactly as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from resolvers import visibility
from resolvers.context import Context
from resolvers.ids import parse_global_id
from schema.policy import allows, policy_table


async def node(ctx: Context, info: Any, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None or not parsed[1].isdigit():
        return None
    type_name, key = parsed[0], int(parsed[1])
    if not allows(policy_table(info.schema._schema).get((type_name, "id")), ctx.token):
        return None
    return await _load(ctx, type_name, key)


async def _load(ctx: Context, type_name: str, key: int) -> Any:
    if type_name == "Product":
        return await visibility.product(ctx, await ctx.loaders.product.load(key))
    if type_name == "Variant":
        return await visibility.variant(ctx, await ctx.loaders.variant.load(key))
    if type_name == "Category":
        return visibility.category(ctx, await ctx.loaders.category.load(key))
    ref = await ctx.reference_data()
    if type_name == "Location":
        return visibility.location(ctx, ref.locations_by_id.get(key))
    if type_name == "Channel":
        return visibility.channel(ctx, ref.channels_by_id.get(key))
    if type_name == "InventoryView":
        found = next((v for v in ref.views_by_channel.values() if v.id == key), None)
        return await visibility.view(ctx, found)
    return None
