"""The money side of every operation on a placed order, in one place.

The domain decides what is owed (`Effects.payments`: a capture per shipment or handover,
a release of the authorization nobody will capture, a refund for an appeasement) and what
was delivered (`Effects.deliveries`). Here the gateway is asked, with an idempotency key
derived from the order, so a retry after a crash gets the provider's first answer instead
of charging twice; then the result is recorded on the payment (which raises the payment
events). A provider that declines or does not answer refuses the whole operation
(PAYMENT_DECLINED): the unit of work rolls back and nothing changed, so it can be retried.

The ledger's postings (finance wiring) belong in `settle`, after the payments: every
delivery, capture, refund and appeasement an operation causes passes through here.
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import DomainError, ErrorCode
from domain.orders.effects import Capture, Effects, PaymentAction, Refund, ReleaseAuthorization
from domain.orders.handlers.checkout import Gateways
from domain.orders.model import Order
from domain.payments.model import (
    ZERO,
    TransactionKind,
    check_capture,
    check_refund,
    record_capture,
    record_refund,
    record_void,
)
from domain.payments.ports import GatewayOutcome, GatewayResult


async def settle(order: Order, effects: Effects, gateways: Gateways, now: datetime) -> None:
    """Carry out the operation's payment actions at the gateway and on the payment."""
    for action in effects.payments:
        await _pay(order, action, gateways, now)
    # Finance wiring: post the ledger entries of effects.deliveries and of the payment
    # events just recorded here, in this transaction.


async def _pay(order: Order, action: PaymentAction, gateways: Gateways, now: datetime) -> None:
    payment = order.payment
    if payment is None:
        return  # paid elsewhere (marketplace, till): nothing to move at a gateway
    gateway = gateways.get(payment.gateway)
    if gateway is None:
        raise RuntimeError(f"payment gateway {payment.gateway!r} is not configured")
    match action:
        case Capture(amount=amount, fulfillment_id=fulfillment_id):
            check_capture(payment, amount)
            result = await gateway.capture(
                payment.authorization,
                amount,
                payment.currency,
                f"{order.id}:capture:{fulfillment_id}",
            )
            _require_approved(result, "capture")
            record_capture(payment, amount, result, now)
        case ReleaseAuthorization():
            if payment.capturable == ZERO:
                return
            result = await gateway.void(payment.authorization, f"{order.id}:release")
            _require_approved(result, "release of the authorization")
            record_void(payment, result, now)
        case Refund(amount=amount):
            check_refund(payment, amount)
            refunds = sum(1 for t in payment.transactions if t.kind is TransactionKind.REFUND)
            result = await gateway.refund(
                payment.authorization, amount, payment.currency, f"{order.id}:refund:{refunds + 1}"
            )
            _require_approved(result, "refund")
            record_refund(payment, amount, result, now)


def _require_approved(result: GatewayResult, what: str) -> None:
    if result.outcome is GatewayOutcome.APPROVED:
        return
    reason = (
        "did not answer; try again later"
        if result.outcome is GatewayOutcome.FAILED
        else f"refused it ({result.message or result.code or 'declined'})"
    )
    raise DomainError.single(
        ("id",), ErrorCode.PAYMENT_DECLINED, f"The payment provider {reason}: {what}."
    )
