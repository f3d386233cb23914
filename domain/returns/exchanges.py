"""Exchanges: a linked order for the replacement units, placed like any direct order of
the order's channel (priced at today's prices, sourced and allocated by the channel's
strategy, no oversell) in the return's transaction.

The returned units are worth `estimate_for_request` (every requested unit arriving); the
replacement order has no gateway payment of its own: the return's credit pays it, and
when the return is refunded that much goes to STORE_CREDIT and only the rest back to the
shopper (`settle_refund(exchange_credit=...)`): a cheaper replacement refunds the
difference. A dearer one would need the difference collected, which returnCreate has no
payment input for yet: it is refused (INVALID on exchangeSkus) - docs/returns.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.access import Actor
from domain.errors import DomainError, FieldError, invalid
from domain.orders.commands import OrderLineRequest, PlaceOrder
from domain.orders.handlers.checkout import Authorization, Gateways, place
from domain.orders.handlers.place import _direct_checkout
from domain.orders.model import Order
from domain.ports import UnitOfWork
from domain.returns.model import OrderSnapshot, Return
from domain.returns.refunds import estimate_for_request, exchange_difference

FIELD = ("input", "exchangeSkus")


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
    return exchange
