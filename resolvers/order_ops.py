"""Operations on placed orders: GraphQL args -> command -> handler -> payload.

Fulfillment mutations answer with the fulfillment (its order primed in the loaders, so
`fulfillment { order { status } }` costs no read); care mutations with the order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.errors import DomainError, not_found
from domain.orders.commands import (
    AcceptFulfillment,
    AppeaseOrder,
    CancelOrder,
    CancelOrderLine,
    ChangeOrderShippingAddress,
    ConfirmPickup,
    HoldOrder,
    MarkReadyForPickup,
    PackFulfillment,
    PickFulfillment,
    RejectFulfillment,
    ReleaseOrder,
    ShipFulfillment,
)
from domain.orders.handlers import care, fulfillment
from domain.orders.model import Order
from persistence.reads.orders import FulfillmentView, OrderView
from resolvers import ids
from resolvers.context import Context
from resolvers.locations import address_input
from resolvers.orders import parse_order_id, present
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.common import AddressInput


def parse_fulfillment_id(value: str) -> str | None:
    parsed = ids.parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Fulfillment" else None


async def _on_fulfillment(
    ctx: Context, global_id: str, run: Callable[[str], Awaitable[Order]]
) -> Result[FulfillmentView]:
    key = parse_fulfillment_id(global_id)
    try:
        if key is None:
            raise DomainError([not_found(("id",), "No such fulfillment.")])
        order = await run(key)
    except DomainError as error:
        return Result.failed(error)
    present(ctx, order)
    return Result(FulfillmentView(order.id, order.fulfillment(key)))


async def _on_order(
    ctx: Context,
    global_id: str,
    run: Callable[[str], Awaitable[Order]],
    field: tuple[str, ...] = ("id",),
) -> Result[OrderView]:
    key = parse_order_id(global_id)
    try:
        if key is None:
            raise DomainError([not_found(field, "No such order.")])
        order = await run(key)
    except DomainError as error:
        return Result.failed(error)
    return Result(present(ctx, order))


async def fulfillment_accept(ctx: Context, id: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.accept_fulfillment(
            AcceptFulfillment(key), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_reject(ctx: Context, id: str, reason: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.reject_fulfillment(
            RejectFulfillment(key, reason), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_pick(ctx: Context, id: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.pick_fulfillment(
            PickFulfillment(key), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_pack(ctx: Context, id: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.pack_fulfillment(
            PackFulfillment(key), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_ship(
    ctx: Context, id: str, carrier: str, tracking_number: str
) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.ship_fulfillment(
            ShipFulfillment(key, carrier, tracking_number),
            ctx.actor,
            ctx.uow(),
            ctx.gateways,
            ctx.started,
        ),
    )


async def fulfillment_ready_for_pickup(ctx: Context, id: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.mark_ready_for_pickup(
            MarkReadyForPickup(key), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_picked_up(ctx: Context, id: str, pickup_code: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.confirm_pickup(
            ConfirmPickup(key, pickup_code), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def fulfillment_pickup_code_reissue(ctx: Context, id: str) -> Result[FulfillmentView]:
    return await _on_fulfillment(
        ctx,
        id,
        lambda key: fulfillment.reissue_pickup_code(key, ctx.actor, ctx.uow(), ctx.started),
    )


async def order_cancel(ctx: Context, id: str, reason: str) -> Result[OrderView]:
    return await _on_order(
        ctx,
        id,
        lambda key: care.cancel_order(
            CancelOrder(key, reason), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def order_line_cancel(
    ctx: Context, order_id: str, line_id: str, quantity: int, reason: str
) -> Result[OrderView]:
    def run(key: str) -> Awaitable[Order]:
        cmd = CancelOrderLine(key, line_id, quantity, reason)
        return care.cancel_order_line(cmd, ctx.actor, ctx.uow(), ctx.gateways, ctx.started)

    return await _on_order(ctx, order_id, run, field=("orderId",))


async def order_shipping_address_update(
    ctx: Context, id: str, address: AddressInput
) -> Result[OrderView]:
    given = address_input(address)
    assert given is not None
    return await _on_order(
        ctx,
        id,
        lambda key: care.change_shipping_address(
            ChangeOrderShippingAddress(key, given),
            ctx.actor,
            ctx.uow(),
            ctx.gateways,
            ctx.started,
        ),
    )


async def order_hold(ctx: Context, id: str, reason: str) -> Result[OrderView]:
    return await _on_order(
        ctx,
        id,
        lambda key: care.hold_order(
            HoldOrder(key, reason), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def order_release(ctx: Context, id: str) -> Result[OrderView]:
    return await _on_order(
        ctx,
        id,
        lambda key: care.release_order(
            ReleaseOrder(key), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )


async def order_appease(ctx: Context, id: str, amount: Decimal, reason: str) -> Result[OrderView]:
    return await _on_order(
        ctx,
        id,
        lambda key: care.appease_order(
            AppeaseOrder(key, amount, reason), ctx.actor, ctx.uow(), ctx.gateways, ctx.started
        ),
    )
