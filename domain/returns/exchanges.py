"""Exchanges: a linked order for the replacement units, placed like any direct order of
the order's channel (priced at today's prices, sourced and allocated by the channel's
strategy, no oversell) in the return's transaction.

The returned units are worth `estimate_for_request` (every requested unit arriving); the
replacement order has no gateway payment of its own: the return's credit pays it, and
when the return is refunded that much goes to STORE_CREDIT and only the rest back to the
shopper (`settle_refund(exchange_credit=...)`): a cheaper replacement refunds the
difference. A dearer one would need the difference collected, which returnCreate has no
payment input for yet: it is refused (INVALID on exchangeSkus) - docs/returns.md.

The replacement order is placed ON_HOLD until the return is received (`release_exchange`,
called by the receipt): nothing ships against goods that may never come back. Staff who
want an advance exchange release it themselves (orderRelease).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.access import Actor
from domain.errors import DomainError, FieldError, invalid
from domain.orders import care
from domain.orders.commands import OrderLineRequest, PlaceOrder
from domain.orders.handlers.checkout import Authorization, Gateways, place
from domain.orders.handlers.operations import finish
from domain.orders.handlers.place import _direct_checkout
from domain.orders.lifecycle import HOLDABLE
from domain.orders.model import Order
from domain.ports import UnitOfWork
from domain.returns.model import OrderSnapshot, Return
from domain.returns.refunds import estimate_for_request, exchange_difference

FIELD = ("input", "exchangeSkus")
HOLD_REASON = "Exchange: waits for the returned units of order"


def _as_exchange_path(error: FieldError) -> FieldError:
    path = tuple(error.field)
    if path[:2] == ("input", "lines"):
        path = (*FIELD, *path[2:])
    elif path[:1] == ("input",):
        path = FIELD
    return FieldError(path, error.code, error.message)


async def place_exchange(
    uow: UnitOfWork,
    order: Order,
    snapshot: OrderSnapshot,
    ret: Return,
    earlier: Sequence[Return],
    actor: Actor,
    gateways: Gateways,
    now: datetime,
) -> Order:
    """Place the replacement order (same channel, shopper and address; no delivery fee)."""
    cmd = PlaceOrder(
        channel=order.channel,
        lines=tuple(OrderLineRequest(e.sku, e.quantity) for e in ret.exchange_lines),
        email=order.email,
        shipping_address=order.shipping_address,
        source_code=f"exchange:{order.number}",
    )
    try:
        checkout = await _direct_checkout(cmd, actor, uow, order.email)
        exchange = await place(uow, checkout, gateways, Authorization(), now)
    except DomainError as error:
        raise DomainError([_as_exchange_path(e) for e in error.errors]) from error
    credit = estimate_for_request(snapshot, ret, earlier).total
    difference = exchange_difference(credit, exchange.totals.total)
    if difference.charge > 0:
        raise DomainError(
            [
                invalid(
                    FIELD,
                    f"The replacement costs {difference.charge} {order.currency} more than the "
                    f"returned units ({credit}); exchange for items of at most their value.",
                )
            ]
        )
    if exchange.status in HOLDABLE:
        care.hold(exchange, f"{HOLD_REASON} {order.number}", now, actor.name)
        await finish(uow, exchange)
    return exchange


async def release_exchange(uow: UnitOfWork, ret: Return, actor: Actor, now: datetime) -> None:
    """The returned goods arrived: the replacement order may go (if still held for them)."""
    if ret.exchange_order_id is None:
        return
    exchange = await uow.orders.get(ret.exchange_order_id, for_update=True)
    if exchange is None or not (exchange.hold_reason or "").startswith(HOLD_REASON):
        return  # released by staff already, or held since for another reason
    care.release(exchange, now, actor.name)
    await finish(uow, exchange)
