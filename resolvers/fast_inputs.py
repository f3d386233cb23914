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
from domain.locations.model import Address, GeoPoint
from domain.orders.commands import OrderLineRequest, PaymentDetails, PlaceOrder
from persistence.reads.orders import OrderView
from resolvers import inventory, orders
from resolvers.context import Context
from resolvers.results import Result


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


def _payment(data: dict[str, Any] | None) -> PaymentDetails | None:
    return PaymentDetails(data["gateway"], data["token"]) if data is not None else None


def _address(data: dict[str, Any] | None) -> Address | None:
    """resolvers.locations.address_input of the coerced AddressInput."""
    if data is None:
        return None
    geo = data.get("geo")
    return Address(
        line1=data["line1"],
        city=data["city"],
        postal_code=data["postalCode"],
        country=data["country"],
        name=data.get("name"),
        line2=data.get("line2"),
        region=data.get("region"),
        phone=data.get("phone"),
        geo=GeoPoint(geo["latitude"], geo["longitude"]) if geo is not None else None,
    )


async def cart_complete(ctx: Context, args: dict[str, Any]) -> Result[OrderView]:
    data = args["input"]
    return await orders.complete(
        ctx,
        data["cartId"],
        _payment(data["payment"]),
        data.get("deliveryOption"),
        data.get("customerEmail"),
        args.get("idempotencyKey"),
    )


async def order_place(ctx: Context, args: dict[str, Any]) -> Result[OrderView]:
    data = args["input"]
    cmd = PlaceOrder(
        channel=data["channel"],
        lines=tuple(
            OrderLineRequest(ln["sku"], ln["quantity"], ln.get("unitPrice")) for ln in data["lines"]
        ),
        email=data.get("email"),
        shipping_address=_address(data.get("shippingAddress")),
        delivery_option=data.get("deliveryOption"),
        pickup_location=data.get("pickupLocation"),
        coupon_codes=tuple(data.get("couponCodes") or ()),
        source_code=data.get("sourceCode"),
        payment=_payment(data.get("payment")),
        external_reference=data.get("externalReference"),
        idempotency_key=args.get("idempotencyKey"),
    )
    return await orders.place(ctx, cmd)


RAW_INPUTS: dict[tuple[str, str], Callable[[Any, dict[str, Any]], Any]] = {
    ("Mutation", "inventorySet"): inventory_set,
    ("Mutation", "inventoryAdjust"): inventory_adjust,
    ("Mutation", "cartComplete"): cart_complete,
    ("Mutation", "orderPlace"): order_place,
}
