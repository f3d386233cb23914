"""Order resolvers: checkout mutations, order and customer queries, the parts of an order
through per-request dataloaders (a page of orders costs a constant number of statements)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.catalog.model import Channel, Variant
from domain.customers.model import Customer, normalize_email
from domain.errors import DomainError, not_found
from domain.locations.model import Location
from domain.orders.commands import CompleteCart, OrderLineRequest, PaymentDetails, PlaceOrder
from domain.orders.handlers.place import complete_cart, place_direct
from domain.orders.handlers.settings import set_order_settings
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import HistoryEntry, Order, OrderLine
from domain.payments.model import Payment
from domain.promotions.model import normalize_code
from persistence.reads import orders as reads
from persistence.reads.orders import FulfillmentView, OrderFilter, OrderView
from persistence.repositories.channel_settings import settings_json
from resolvers import ids, visibility
from resolvers.carts import parse_cart_id
from resolvers.catalog import Money
from resolvers.context import Context
from resolvers.errors import ApiError
from resolvers.locations import address_input
from resolvers.order_settings import settings_command
from resolvers.pagination import Connection, connection, empty_connection, page_size
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.order_inputs import ChannelOrderSettingsInput
    from schema.orders import CartCompleteInput, OrderPlaceInput
    from schema.orders import OrderFilter as OrderFilterInput


@dataclass(frozen=True, slots=True)
class OrderLineView:
    line: OrderLine
    currency: str

    def money(self, amount: Decimal) -> Money:
        return Money(amount, self.currency)


def order_id(view: OrderView) -> str:
    return ids.global_id("Order", view.id)


def fulfillment_id(view: FulfillmentView) -> str:
    return ids.global_id("Fulfillment", view.fulfillment.id)


def customer_id(found: Customer) -> str:
    return ids.global_id("Customer", found.id)


def order_money(view: OrderView, amount: Decimal) -> Money:
    return Money(amount, view.currency)


def payment_money(payment: Payment, amount: Decimal) -> Money:
    return Money(amount, payment.currency)


async def order_channel(ctx: Context, view: OrderView) -> Channel:
    return (await ctx.reference_data()).channels_by_code[view.channel]


async def order_customer(ctx: Context, view: OrderView) -> Customer | None:
    if view.customer_id is None:
        return None
    return visibility.customer(ctx, await ctx.loaders.customer.load(view.customer_id))


async def order_lines(ctx: Context, view: OrderView) -> list[OrderLineView]:
    lines: list[OrderLine] = await ctx.loaders.order_lines.load(view.id)
    return [OrderLineView(line, view.currency) for line in lines]


async def order_fulfillments(ctx: Context, view: OrderView) -> list[FulfillmentView]:
    """A location token sees the work at its own location only."""
    parts: list[FulfillmentView] = await ctx.loaders.order_fulfillments.load(view.id)
    return [p for p in parts if ctx.actor.sees_location(p.fulfillment.location_code)]


async def order_payments(ctx: Context, view: OrderView) -> list[Payment]:
    found: list[Payment] = await ctx.loaders.order_payments.load(view.id)
    return found


async def order_history(ctx: Context, view: OrderView) -> list[HistoryEntry]:
    found: list[HistoryEntry] = await ctx.loaders.order_history.load(view.id)
    return found


async def line_variant(ctx: Context, view: OrderLineView) -> Variant:
    variant: Variant = await ctx.loaders.variant_by_sku.load(view.line.sku)
    return variant


async def fulfillment_order(ctx: Context, view: FulfillmentView) -> OrderView:
    found: OrderView = await ctx.loaders.order.load(view.order_id)
    return found


async def fulfillment_location(ctx: Context, view: FulfillmentView) -> Location:
    return (await ctx.reference_data()).locations_by_id[view.fulfillment.location_id]


def parse_order_id(value: str) -> str | None:
    parsed = ids.parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Order" else None


async def order(ctx: Context, global_id: str | None, number: str | None) -> OrderView | None:
    found: OrderView | None = None
    if global_id is not None:
        key = parse_order_id(global_id)
        found = await ctx.loaders.order.load(key) if key is not None else None
    elif number is not None:
        found = await ctx.loaders.order_by_number.load(number)
    if found is not None and number is not None and found.number != number:
        return None  # both given and they disagree
    return await visibility.order(ctx, found)


def _filter(data: OrderFilterInput | None, customer: str | None = None) -> OrderFilter:
    if data is None:
        return OrderFilter(customer_id=customer)
    email = data.customer_email
    return OrderFilter(
        statuses=tuple(OrderStatus(s.value) for s in data.status or ()),  # type: ignore[attr-defined]
        channel=data.channel,
        customer_email=normalize_email(email) if email is not None else None,
        customer_id=customer,
        created_after=data.created_after,
        created_before=data.created_before,
        stuck_for_minutes=max(0, data.stuck_for_minutes)
        if data.stuck_for_minutes is not None
        else None,
        source_code=normalize_code(data.source_code) if data.source_code is not None else None,
    )


async def _page(
    ctx: Context, wanted: OrderFilter, first: int | None, after: str | None
) -> Connection[OrderView]:
    try:
        after_key = ids.parse_key_cursor(after)
    except ValueError as exc:
        raise ApiError("Malformed cursor in `after`.", "INVALID") from exc
    limit = page_size(first, 20)
    scope = visibility.order_scope(ctx)
    now = ctx.started
    async with ctx.db.read() as conn:
        rows = await reads.order_page(conn, scope, wanted, after_key, limit + 1, now)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.order_count(conn, scope, wanted, now)

    return connection(rows, limit, lambda o: ids.key_cursor(o.id), after_key is not None, count)


async def orders(
    ctx: Context, data: OrderFilterInput | None, first: int | None, after: str | None
) -> Connection[OrderView]:
    return await _page(ctx, _filter(data), first, after)


async def customer(ctx: Context, email: str) -> Customer | None:
    found: Customer | None = await ctx.loaders.customer_by_email.load(normalize_email(email))
    return visibility.customer(ctx, found)


async def customer_orders(
    ctx: Context, found: Customer, first: int | None, after: str | None
) -> Connection[OrderView]:
    if visibility.customer(ctx, found) is None:
        return empty_connection()
    return await _page(ctx, OrderFilter(customer_id=found.id), first, after)


def present(ctx: Context, placed: Order) -> OrderView:
    """The order a mutation returns, with its parts handed to the loaders (no re-read)."""
    view = reads.view_of(placed)
    loaders = ctx.loaders
    loaders.order.prime(placed.id, view)
    loaders.order_lines.prime(placed.id, list(placed.lines))
    loaders.order_fulfillments.prime(
        placed.id, [FulfillmentView(placed.id, f) for f in placed.fulfillments]
    )
    loaders.order_payments.prime(placed.id, [placed.payment] if placed.payment else [])
    loaders.order_history.prime(placed.id, list(placed.history))
    return view


def _payment(data: Any) -> PaymentDetails | None:
    return PaymentDetails(data.gateway, data.token) if data is not None else None


async def cart_complete(
    ctx: Context, data: CartCompleteInput, idempotency_key: str | None
) -> Result[OrderView]:
    return await complete(
        ctx,
        data.cart_id,
        _payment(data.payment),
        data.delivery_option,
        data.customer_email,
        idempotency_key,
    )


async def complete(
    ctx: Context,
    cart_id_text: str,
    payment: PaymentDetails | None,
    delivery_option: str | None,
    customer_email: str | None,
    idempotency_key: str | None,
) -> Result[OrderView]:
    """cartComplete, from the input class or straight from the coerced variables
    (resolvers/fast_inputs.py): the same command either way."""
    try:
        cart_id = parse_cart_id(cart_id_text)
        if cart_id is None:
            raise DomainError([not_found(("input", "cartId"), "No such cart.")])
        assert payment is not None
        cmd = CompleteCart(
            cart_id=cart_id,
            payment=payment,
            delivery_option=delivery_option,
            customer_email=customer_email,
            idempotency_key=idempotency_key,
        )
        placed = await complete_cart(cmd, ctx.actor, ctx.uow(), ctx.gateways, ctx.started)
    except DomainError as error:
        return Result.failed(error)
    return Result(present(ctx, placed))


async def order_place(
    ctx: Context, data: OrderPlaceInput, idempotency_key: str | None
) -> Result[OrderView]:
    cmd = PlaceOrder(
        channel=data.channel,
        lines=tuple(OrderLineRequest(ln.sku, ln.quantity, ln.unit_price) for ln in data.lines),
        email=data.email,
        shipping_address=address_input(data.shipping_address),
        delivery_option=data.delivery_option,
        pickup_location=data.pickup_location,
        coupon_codes=tuple(data.coupon_codes or ()),
        source_code=data.source_code,
        payment=_payment(data.payment),
        external_reference=data.external_reference,
        idempotency_key=idempotency_key,
    )
    return await place(ctx, cmd)


async def place(ctx: Context, cmd: PlaceOrder) -> Result[OrderView]:
    """orderPlace's command, however it was built (resolvers/fast_inputs.py)."""
    try:
        placed = await place_direct(cmd, ctx.actor, ctx.uow(), ctx.gateways, ctx.started)
    except DomainError as error:
        return Result.failed(error)
    return Result(present(ctx, placed))


async def channel_order_settings_set(
    ctx: Context, channel: str, data: ChannelOrderSettingsInput
) -> Result[Any]:
    try:
        cmd = settings_command(channel, data)
        saved = await set_order_settings(cmd, ctx.actor, ctx.uow(), ctx.started)
    except DomainError as error:
        return Result.failed(error)
    return Result(settings_json(saved))
