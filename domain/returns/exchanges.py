"""Exchanges: a linked order for the replacement units, placed like any direct order of
the order's channel (priced at today's prices, sourced and allocated by the channel's
strategy, no oversell) in the return's transaction.

The returned units are worth `estimate_for_request` (every requested unit arriving). Two
cases, by `exchange_difference(credit, replacement total)`:

- **Cheaper or equal**: the replacement order has no gateway payment of its own; the
  return's credit pays it. When the return is refunded that much goes to STORE_CREDIT and
  only the rest back to the shopper (`settle_refund(exchange_credit=...)`): the difference
  is refunded.
- **Dearer**: the difference must be collected, so `returnCreate` needs `input.payment`
  (INVALID there without it). The replacement is then paid like any order: the payment
  authorizes its total (captured as it ships), and the returned units are refunded in full
  when received - the shopper ends up paying exactly the difference, and nobody is charged
  for units that never come back.

The replacement order is placed ON_HOLD until the return is received (`release_exchange`,
called by the receipt): nothing ships against goods that may never come back. Staff who
want an advance exchange release it themselves (orderRelease).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.access import Actor
from domain.errors import DomainError, FieldError, invalid
from domain.orders import care
from domain.orders.commands import OrderLineRequest, PaymentDetails, PlaceOrder
from domain.orders.handlers.checkout import (
    Authorization,
    Checkout,
    Gateways,
    place,
    totals_of,
    void_quietly,
)
from domain.orders.handlers.operations import finish
from domain.orders.handlers.place import _direct_checkout
from domain.orders.handlers.settlement import EXCHANGE_SOURCE
from domain.orders.lifecycle import HOLDABLE
from domain.orders.model import Order
from domain.payments.model import payment_input_errors
from domain.ports import UnitOfWork
from domain.returns.model import OrderSnapshot, Return
from domain.returns.refunds import estimate_for_request, exchange_difference

FIELD = ("input", "exchangeSkus")
PAYMENT = ("input", "payment")
HOLD_REASON = "Exchange: waits for the returned units of order"


def _as_exchange_path(error: FieldError) -> FieldError:
    path = tuple(error.field)
    if path[:2] == ("input", "payment"):
        return error
    if path[:2] == ("input", "lines"):
        path = (*FIELD, *path[2:])
    elif path[:1] == ("input",):
        path = FIELD
    return FieldError(path, error.code, error.message)


def exchange_credit(exchange: Order | None) -> Decimal:
    """What the return's refund owes the exchange order: its total when the return's credit
    pays it (no payment of its own), nothing when it was paid like any order."""
    if exchange is None or exchange.payment is not None:
        return Decimal(0)
    return exchange.totals.total


async def place_exchange(
    uow: UnitOfWork,
    order: Order,
    snapshot: OrderSnapshot,
    ret: Return,
    earlier: Sequence[Return],
    actor: Actor,
    gateways: Gateways,
    now: datetime,
    payment: PaymentDetails | None = None,
) -> Order:
    """Place the replacement order (same channel, shopper and address; no delivery fee)."""
    cmd = PlaceOrder(
        channel=order.channel,
        lines=tuple(OrderLineRequest(e.sku, e.quantity) for e in ret.exchange_lines),
        email=order.email,
        shipping_address=order.shipping_address,
        source_code=f"{EXCHANGE_SOURCE}{order.number}",
    )
    auth = Authorization()
    try:
        checkout = await _direct_checkout(cmd, actor, uow, order.email)
        credit = estimate_for_request(snapshot, ret, earlier).total
        difference = exchange_difference(credit, totals_of(checkout).total)
        if difference.charge > 0:
            checkout = _paid(checkout, difference.charge, credit, order.currency, payment, gateways)
        exchange = await place(uow, checkout, gateways, auth, now)
        if exchange.status in HOLDABLE:
            care.hold(exchange, f"{HOLD_REASON} {order.number}", now, actor.name)
            await finish(uow, exchange)
    except DomainError as error:
        await void_quietly(auth)
        raise DomainError([_as_exchange_path(e) for e in error.errors]) from error
    except BaseException:
        await void_quietly(auth)
        raise
    return exchange


def _paid(
    checkout: Checkout,
    charge: Decimal,
    credit: Decimal,
    currency: str,
    payment: PaymentDetails | None,
    gateways: Gateways,
) -> Checkout:
    if payment is None:
        raise DomainError(
            [
                invalid(
                    PAYMENT,
                    f"The replacement costs {charge} {currency} more than the returned units "
                    f"({credit}): give a payment for it.",
                )
            ]
        )
    errors = payment_input_errors(payment.gateway, payment.token, gateways, PAYMENT)
    if errors:
        raise DomainError(errors)
    return replace(checkout, gateway=payment.gateway, payment_token=payment.token)


async def release_exchange(uow: UnitOfWork, ret: Return, actor: Actor, now: datetime) -> None:
    """The returned goods arrived: the replacement order may go (if still held for them)."""
    if ret.exchange_order_id is None:
        return
    exchange = await uow.orders.get(ret.exchange_order_id, for_update=True)
    if exchange is None or not (exchange.hold_reason or "").startswith(HOLD_REASON):
        return  # released by staff already, or held since for another reason
    care.release(exchange, now, actor.name)
    await finish(uow, exchange)
