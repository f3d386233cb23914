"""`node(id:)`: global ID -> object, through the same loaders as everything else."""

from __future__ import annotations

from typing import Any

from resolvers.context import Context
from resolvers.ids import parse_global_id


async def node(ctx: Context, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None or not parsed[1].isdigit():
        return None
    type_name, key = parsed[0], int(parsed[1])
    ref = await ctx.reference_data()
    token = ctx.token
    if type_name == "Product":
        return await ctx.loaders.product.load(key)
    if type_name == "Variant":
        return await ctx.loaders.variant.load(key)
    if type_name == "Category":
        return await ctx.loaders.category.load(key)
    if type_name == "Location":
        return ref.locations_by_id.get(key)
    if type_name == "Channel":
        channel = ref.channels_by_id.get(key)
        if channel is not None and token is not None and token.channel not in (None, channel.code):
            return None
        return channel
    if type_name == "InventoryView":
        for view in ref.views_by_channel.values():
            if view.id == key:
                return view
    return None
