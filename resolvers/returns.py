"""Returns: GraphQL args -> command -> handler -> payload; the Return type's parts.

A return is visible exactly when its order is (resolvers/visibility.py `order`): another
channel's or another shopper's return is absent, in lists, in `node` and in mutations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from domain.customers.model import Customer
from domain.errors import DomainError, not_found
from domain.locations.model import Location
from domain.orders.commands import PaymentDetails
from domain.orders.model import Order
from domain.returns import handlers
from domain.returns.model import Disposition, ExchangeLine, Return
from domain.returns.rules import CreateReturn, ReceiptLine, ReceiveReturn, ReturnLineRequest
from persistence.reads.orders import OrderView
from resolvers import ids, visibility
from resolvers.catalog import Money
from resolvers.context import Context
from resolvers.orders import parse_order_id, present
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.returns import ReturnCreateInput, ReturnReceiveLineInput


def return_id(ret: Return) -> str:
    return ids.global_id("Return", ret.id or 0)


def refund(ret: Return) -> Money | None:
    return Money(ret.refund, ret.currency) if ret.refund is not None else None


async def location(ctx: Context, ret: Return) -> Location | None:
    code = ret.received_at_location or ret.location
    if code is None:
        return None
    ref = await ctx.reference_data()
    return visibility.location(ctx, ref.locations_by_code.get(code))


async def order_of(ctx: Context, ret: Return) -> OrderView:
    found: OrderView = await ctx.loaders.order.load(ret.order_id)
    return found


async def exchange_order(ctx: Context, ret: Return) -> OrderView | None:
    if ret.exchange_order_id is None:
        return None
    return await visibility.order(ctx, await ctx.loaders.order.load(ret.exchange_order_id))


async def of_order(ctx: Context, view: OrderView) -> list[Return]:
    found: list[Return] = await ctx.loaders.order_returns.load(view.id)
    return found


async def of_customer(ctx: Context, customer: Customer) -> list[Return]:
    """The customer's returns, of the orders the token may see (a channel-bound token: its
    channel's orders only)."""
    found: list[Return] = await ctx.loaders.customer_returns.load(customer.id)
    visible = []
    for ret in found:
        if await visibility.order(ctx, await ctx.loaders.order.load(ret.order_id)) is not None:
            visible.append(ret)
    return visible


async def by_id(ctx: Context, key: int) -> Return | None:
    """`node(id:)`: the return when its order is visible to the token."""
    found: Return | None = await ctx.loaders.return_.load(key)
    if found is None:
        return None
    owner = await visibility.order(ctx, await ctx.loaders.order.load(found.order_id))
    return found if owner is not None else None


def _prime(ctx: Context, order: Order, ret: Return) -> Return:
    present(ctx, order)
    ctx.loaders.return_.prime(ret.id, ret)
    ctx.loaders.order_returns.clear(order.id)
    return ret


async def _run(ctx: Context, run: Callable[[], Awaitable[tuple[Order, Return]]]) -> Result[Return]:
    try:
        order, ret = await run()
    except DomainError as error:
        return Result.failed(error)
    return Result(_prime(ctx, order, ret))


def _not_found(field: tuple[str, ...], what: str) -> DomainError:
    return DomainError([not_found(field, f"No such {what}.")])


async def return_create(ctx: Context, data: ReturnCreateInput) -> Result[Return]:
    order_key = parse_order_id(data.order_id)
    request = CreateReturn(
        order_number="",
        lines=tuple(
            ReturnLineRequest(_line_key(line.order_line_id), line.quantity, line.reason)
            for line in data.lines
        ),
        location=data.location,
        exchange_lines=tuple(
            ExchangeLine(_line_key(e.order_line_id), e.sku, e.quantity)
            for e in data.exchange_skus or []
        ),
    )

    async def run() -> tuple[Order, Return]:
        if order_key is None:
            raise _not_found(("input", "orderId"), "order")
        payment = data.payment
        paid = PaymentDetails(payment.gateway, payment.token) if payment is not None else None
        cmd = handlers.CreateReturnFor(order_key, request, paid)
        return await handlers.create_return(cmd, ctx.actor, ctx.uow(), ctx.gateways, ctx.started)

    return await _run(ctx, run)


async def return_receive(
    ctx: Context, id: str, location_code: str, lines: list[ReturnReceiveLineInput]
) -> Result[Return]:
    key = ids.parse_int_id(id, "Return")
    cmd = ReceiveReturn(
        location=location_code,
        lines=tuple(
            ReceiptLine(
                _line_key(line.order_line_id),
                line.quantity,
                Disposition(line.disposition.value),  # type: ignore[attr-defined]
            )
            for line in lines
        ),
    )

    async def run() -> tuple[Order, Return]:
        if key is None:
            raise _not_found(("id",), "return")
        return await handlers.receive(key, cmd, ctx.actor, ctx.uow(), ctx.started)

    return await _run(ctx, run)


async def return_refund(ctx: Context, id: str) -> Result[Return]:
    key = ids.parse_int_id(id, "Return")

    async def run() -> tuple[Order, Return]:
        if key is None:
            raise _not_found(("id",), "return")
        return await handlers.refund(key, ctx.actor, ctx.uow(), ctx.gateways, ctx.started)

    return await _run(ctx, run)


def _line_key(value: Any) -> str:
    """Order line ids are served as they are stored (OrderLine.id); accept them as given."""
    return str(value)
