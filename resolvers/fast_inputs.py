"""Hot mutations without per-object framework cost: domain commands straight from the
coerced variables.

graphql-core has already coerced each input object into a dict keyed by GraphQL field
names (optional fields present, with their defaults); strawberry would copy every one
into an input class instance before the resolver maps it to a command. These functions
map the dicts to the very same commands and hand them to the same resolver code, so the
domain validates exactly as before (the same userErrors, by index). The compiled
executor (server/execution) calls them in place of the strawberry resolvers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.inventory.ingest import AdjustUpdate, BatchResult, SetUpdate
from resolvers import inventory
from resolvers.context import Context


async def inventory_set(ctx: Context, args: dict[str, Any]) -> BatchResult:
    commands = [
        SetUpdate(
            u["sku"],
            u["location"],
            u["onHand"],
            u["asOf"],
            u.get("unsellable"),
            u.get("safetyStock"),
        )
        for u in args["updates"]
    ]
    return await inventory.apply_set(ctx, commands)


async def inventory_adjust(ctx: Context, args: dict[str, Any]) -> BatchResult:
    commands = [
        AdjustUpdate(u["sku"], u["location"], u["delta"], u["reason"], u["eventId"])
        for u in args["updates"]
    ]
    return await inventory.apply_adjust(ctx, commands)


RAW_INPUTS: dict[tuple[str, str], Callable[[Any, dict[str, Any]], Any]] = {
    ("Mutation", "inventorySet"): inventory_set,
    ("Mutation", "inventoryAdjust"): inventory_adjust,
}
