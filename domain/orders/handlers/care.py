"""Customer care on a placed order: cancel it or part of a line (units released at their
locations, the authorization nobody will capture released), change the shipping address
before the first parcel leaves, hold and release, appease (a refund when paid through a
gateway). The rules are domain/orders/care.py's; these run them in one unit of work.

Who: staff and partner tokens of the order's channel (another channel's order is
NOT_FOUND). Storefront tokens are refused (FORBIDDEN): they are embedded in public web
and app clients and act for any shopper of the channel, so they place orders but do not
cancel or change them. Location-bound tokens are refused by the schema's policies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from domain.access import Actor
from domain.errors import DomainError, forbidden
from domain.orders import care
from domain.orders.commands import (
    AppeaseOrder,
    CancelOrder,
    CancelOrderLine,
    ChangeOrderShippingAddress,
    HoldOrder,
    ReleaseOrder,
)
from domain.orders.effects import Effects
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.operations import apply, order_for, statuses
from domain.orders.model import Order
from domain.ports import UnitOfWork

STOREFRONT = "storefront"


def _require_care(actor: Actor, field: Sequence[str]) -> None:
    if actor.kind == STOREFRONT:
        raise DomainError([forbidden(field, "Storefront tokens cannot change placed orders.")])


async def _run(
    order_id: str,
    actor: Actor,
    uow: UnitOfWork,
    gateways: Gateways,
    now: datetime,
    operate: Callable[[Order], Effects],
    field: Sequence[str] = ("id",),
) -> Order:
    _require_care(actor, field)
    async with uow:
        order = await order_for(uow, order_id, actor, field)
        before = statuses(order)
        effects = operate(order)
        await apply(uow, order, effects, gateways, now, before)
        await uow.commit()
    return order


async def cancel_order(
    cmd: CancelOrder, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """Cancel every unit not yet delivered (a partly shipped order keeps what left): units
    released at their locations, the rest of the authorization released (VOIDED when
    nothing was captured). INVALID_TRANSITION when nothing is left to cancel."""
    return await _run(
        cmd.order_id,
        actor,
        uow,
        gateways,
        now,
        lambda order: care.cancel_order(order, cmd.reason, now, actor.name),
    )


async def cancel_order_line(
    cmd: CancelOrderLine, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """Cancel 1..(units not shipped) of a line: backordered units first, then units in the
    least advanced fulfillments (an emptied one is CANCELLED)."""
    return await _run(
        cmd.order_id,
        actor,
        uow,
        gateways,
        now,
        lambda order: care.cancel_line(
            order, cmd.line_id, cmd.quantity, cmd.reason, now, actor.name
        ),
        field=("orderId",),
    )


async def change_shipping_address(
    cmd: ChangeOrderShippingAddress,
    actor: Actor,
    uow: UnitOfWork,
    gateways: Gateways,
    now: datetime,
) -> Order:
    """Until the first parcel leaves; the country stays (INVALID otherwise)."""

    def change(order: Order) -> Effects:
        care.change_shipping_address(order, cmd.address, now, actor.name)
        return Effects()

    return await _run(cmd.order_id, actor, uow, gateways, now, change)


async def hold_order(
    cmd: HoldOrder, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """Stop the order (fraud review, a shopper's call): its fulfillments cannot progress
    until released; they may still be rejected or cancelled."""
    return await _run(
        cmd.order_id,
        actor,
        uow,
        gateways,
        now,
        lambda order: care.hold(order, cmd.reason, now, actor.name),
    )


async def release_order(
    cmd: ReleaseOrder, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    return await _run(
        cmd.order_id, actor, uow, gateways, now, lambda order: care.release(order, now, actor.name)
    )


async def appease_order(
    cmd: AppeaseOrder, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """A goodwill amount, at most what the shopper paid and did not get back; refunded
    through the gateway when the order was paid through one."""
    return await _run(
        cmd.order_id,
        actor,
        uow,
        gateways,
        now,
        lambda order: care.appease(order, cmd.amount, cmd.reason, now, actor.name),
    )
