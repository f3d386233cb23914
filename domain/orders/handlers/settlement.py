"""The money side of every operation on a placed order, in one place.

The domain decides what is owed (`Effects.payments`: a capture per shipment or handover,
a release of the authorization nobody will capture, a refund for an appeasement) and what
was delivered (`Effects.deliveries`). Here the gateway is asked, with an idempotency key
derived from the order, so a retry after a crash gets the provider's first answer instead
of charging twice; then the result is recorded on the payment (which raises the payment
events). A provider that declines or does not answer refuses the whole operation
(PAYMENT_DECLINED): the unit of work rolls back and nothing changed, so it can be retried.

The ledger's postings follow in `book`, in the same unit of work: every delivery, capture,
release and appeasement an operation causes passes through here (docs/ledger.md, "Wiring").
"""

from __future__ import annotations

from datetime import datetime

from domain.errors import DomainError, ErrorCode
from domain.ledger.postings import Appeased, PaymentCaptured, Tender
from domain.ledger.recording import payment_event, record, shipped_event
from domain.orders.effects import Capture, Effects, PaymentAction, Refund, ReleaseAuthorization
from domain.orders.events import OrderAppeased
from domain.orders.handlers.checkout import Gateways
from domain.orders.model import Order
from domain.payments.events import PaymentEvent
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
from domain.ports import UnitOfWork


async def settle(order: Order, effects: Effects, gateways: Gateways, now: datetime) -> None:
    """Carry out the operation's payment actions at the gateway and on the payment."""
    for action in effects.payments:
        await _pay(order, action, gateways, now)


def payment_facts(order: Order) -> int:
    """How many payment facts the order holds before an operation (`book`'s `since`)."""
    return len(order.payment.events) if order.payment is not None else 0


EXCHANGE_SOURCE = "exchange:"  # the source code of an exchange's replacement order


def paid_by_exchange_credit(order: Order) -> bool:
    """A replacement order with no gateway payment: the return's credit pays for it
    (domain/returns/exchanges.py)."""
    return order.payment is None and (order.source_code or "").startswith(EXCHANGE_SOURCE)


async def book(
    uow: UnitOfWork, order: Order, effects: Effects, now: datetime, since: int = 0
) -> None:
    """Post the operation's journal entries, in its transaction: what was delivered
    (`order.shipped`, cost of goods from the variants' unit costs, one query), then the
    payment facts `settle` recorded after the first `since` (captures, releases), then
    appeasements. Refunds through the gateway are posted by what asked for them: an
    appeasement here (from its order event, so one paid elsewhere is booked too), a
    return's refund by the returns handlers."""
    reference, currency = order.number, order.currency
    if effects.deliveries:
        skus = {piece.sku for d in effects.deliveries for piece in d.pieces}
        variants = await uow.catalog.variants_by_sku(skus) if skus else {}
        costs = {sku: v.unit_cost for sku, v in variants.items()}
        for delivered in effects.deliveries:
            shipped = shipped_event(
                delivered,
                reference=reference,
                currency=currency,
                at=now,
                prices_include_tax=order.totals.prices_include_tax,
                unit_costs=costs,
            )
            await record(uow, shipped)
            if paid_by_exchange_credit(order):
                # The return's refund put this much in STORE_CREDIT; delivering the
                # replacement uses it, as a capture would use a gateway payment.
                credit = PaymentCaptured(
                    reference=reference,
                    currency=currency,
                    at=now,
                    amount=ZERO,
                    store_credit=delivered.charge,
                )
                await record(uow, credit)
    if order.payment is not None:
        for fact in order.payment.events[since:]:
            event = payment_event(fact, reference) if isinstance(fact, PaymentEvent) else None
            if event is not None:
                await record(uow, event)
    for fact in order.events:
        if isinstance(fact, OrderAppeased):
            appeased = Appeased(
                reference=reference,
                currency=fact.currency,
                at=fact.at,
                amount=fact.amount,
                tender=Tender.CASH if order.payment is not None else Tender.RECEIVABLE,
                reason=fact.reason,
            )
            await record(uow, appeased)


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
