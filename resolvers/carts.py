"""Cart resolvers: GraphQL input -> cart command -> handler -> payload (docs/orders-wiring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.catalog.model import Channel, Variant
from domain.errors import DomainError, not_found
from domain.locations.model import Location
from domain.orders.cart import CartLine, CartLineRequest
from domain.orders.commands import (
    AddCartLines,
    ApplyCartCoupon,
    CreateCart,
    ReserveCart,
    SetCartShippingAddress,
    UpdateCartLine,
)
from domain.orders.handlers import carts as handlers
from domain.orders.handlers.common import CartQuote
from domain.orders.handlers.reservations import reserve_cart
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.promises import LinePromise, PickupPromise
from persistence.reads.orders import OrderView
from resolvers import ids
from resolvers.catalog import Money
from resolvers.context import Context
from resolvers.locations import address_input, geo_input
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.carts import CartCreateInput, CartLineInput
    from schema.common import AddressInput, GeoPointInput


@dataclass(frozen=True, slots=True)
class CartLineView:
    line: CartLine
    unit_price: Money
    discount: Money
    total: Money

    @property
    def quantity(self) -> int:
        return self.line.quantity

    @property
    def method(self) -> FulfillmentMethod:
        return self.line.method


@dataclass(frozen=True, slots=True)
class DeliveryOptionView:
    code: str
    name: str
    price: Money
    estimated_delivery_from: date
    estimated_delivery_to: date
    shipment_count: int


@dataclass(frozen=True, slots=True)
class PromisesView:
    delivery_options: list[DeliveryOptionView]
    pickup_options: list[PickupPromise]
    lines: list[LinePromise]


def cart_id(quote: CartQuote) -> str:
    return ids.global_id("Cart", quote.cart.id)


def money(quote: CartQuote, amount: Decimal) -> Money:
    return Money(amount, quote.cart.currency)


def cart_lines(quote: CartQuote) -> list[CartLineView]:
    priced = {p.line_id: p for p in quote.totals.lines}
    currency = quote.cart.currency
    zero = Decimal(0)
    views = []
    for line in quote.cart.lines:
        p = priced.get(line.id)  # None: the channel stopped selling it (checkout refuses it)
        views.append(
            CartLineView(
                line,
                Money(p.unit_price if p else zero, currency),
                Money(p.discount if p else zero, currency),
                Money(p.total if p else zero, currency),
            )
        )
    return views


async def cart_channel(ctx: Context, quote: CartQuote) -> Channel:
    return (await ctx.reference_data()).channels_by_code[quote.cart.channel]


async def line_variant(ctx: Context, view: CartLineView) -> Variant:
    variant: Variant = await ctx.loaders.variant_by_sku.load(view.line.sku)
    return variant


async def line_pickup_location(ctx: Context, view: CartLineView) -> Location | None:
    location_id = view.line.pickup_location_id
    if location_id is None:
        return None
    return (await ctx.reference_data()).locations_by_id.get(location_id)


def reserved_until(ctx: Context, quote: CartQuote) -> datetime | None:
    until = quote.cart.reserved_until
    return until if until is not None and until > ctx.started else None


async def cart_order(ctx: Context, quote: CartQuote) -> OrderView | None:
    if quote.cart.order_id is None:
        return None
    found: OrderView | None = await ctx.loaders.order.load(quote.cart.order_id)
    return found


async def cart_promises(ctx: Context, quote: CartQuote, near: GeoPointInput | None) -> PromisesView:
    found = await handlers.promises(quote, geo_input(near), ctx.uow(), ctx.started)
    currency = quote.cart.currency
    return PromisesView(
        [
            DeliveryOptionView(
                o.code,
                o.name,
                Money(o.price, currency),
                o.estimated_from,
                o.estimated_to,
                o.shipment_count,
            )
            for o in found.delivery_options
        ],
        list(found.pickup_options),
        list(found.lines),
    )


def parse_cart_id(value: str) -> str | None:
    parsed = ids.parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Cart" else None


async def cart(ctx: Context, global_id: str) -> CartQuote | None:
    found = parse_cart_id(global_id)
    if found is None:
        return None
    return await handlers.view_cart(found, ctx.actor, ctx.uow(), ctx.started)


def _lines(lines: list[CartLineInput] | None) -> tuple[CartLineRequest, ...]:
    return tuple(
        CartLineRequest(
            line.sku,
            line.quantity,
            FulfillmentMethod(line.method.value)
            if line.method is not None
            else FulfillmentMethod.SHIP,
            line.pickup_location,
        )
        for line in lines or ()
    )


def _cart_or_error(global_id: str, field: str = "cartId") -> str:
    found = parse_cart_id(global_id)
    if found is None:
        raise DomainError([not_found((field,), "No such cart.")])
    return found


async def cart_create(ctx: Context, data: CartCreateInput) -> Result[CartQuote]:
    cmd = CreateCart(
        data.channel,
        _lines(data.lines),
        data.customer_email,
        address_input(data.shipping_address),
        source_code=data.source_code,
    )
    try:
        return Result(await handlers.create_cart(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)


async def cart_lines_add(
    ctx: Context, global_id: str, lines: list[CartLineInput]
) -> Result[CartQuote]:
    try:
        cmd = AddCartLines(_cart_or_error(global_id), _lines(lines))
        return Result(await handlers.add_cart_lines(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)


async def cart_line_update(
    ctx: Context, global_id: str, line_id: str, quantity: int
) -> Result[CartQuote]:
    try:
        cmd = UpdateCartLine(_cart_or_error(global_id), line_id, quantity)
        return Result(await handlers.update_cart_line(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)


async def cart_shipping_address_set(
    ctx: Context, global_id: str, address: AddressInput
) -> Result[CartQuote]:
    try:
        found = address_input(address)
        assert found is not None
        cmd = SetCartShippingAddress(_cart_or_error(global_id), found)
        return Result(
            await handlers.set_cart_shipping_address(cmd, ctx.actor, ctx.uow(), ctx.started)
        )
    except DomainError as error:
        return Result.failed(error)


async def cart_coupon_apply(ctx: Context, global_id: str, code: str) -> Result[CartQuote]:
    try:
        cmd = ApplyCartCoupon(_cart_or_error(global_id), code)
        return Result(await handlers.apply_cart_coupon(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)


async def cart_coupon_remove(ctx: Context, global_id: str, code: str) -> Result[CartQuote]:
    try:
        cmd = ApplyCartCoupon(_cart_or_error(global_id), code)
        return Result(await handlers.remove_cart_coupon(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)


async def cart_reserve(ctx: Context, global_id: str, ttl_seconds: int | None) -> Result[CartQuote]:
    try:
        cmd = ReserveCart(_cart_or_error(global_id), 900 if ttl_seconds is None else ttl_seconds)
        return Result(await reserve_cart(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)
