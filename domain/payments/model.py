"""Payments: what was authorized, captured and refunded, and the rules between them.

    DECLINED            the authorization was refused (nothing else can happen)
    AUTHORIZED          authorized, nothing captured yet
    VOIDED              the authorization was released before any capture
    CAPTURED            captured (in one or more shipments), nothing refunded
    PARTIALLY_REFUNDED  0 < refunded < captured
    REFUNDED            refunded == captured

Captures never exceed what is authorized; refunds never exceed what is captured. When an
order ends with part of its authorization uncaptured (cancelled units), the remainder is
released: the payment stays CAPTURED and `closed` says nothing more can be captured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from domain.errors import DomainError, ErrorCode, FieldError, invalid
from domain.events import DomainEvent
from domain.money import round_money
from domain.payments.events import PaymentCaptured, PaymentRefunded, PaymentVoided
from domain.payments.ports import GatewayResult, PaymentGateway

ZERO = Decimal(0)
MAX_TOKEN_LENGTH = 255
_CARD_LIKE = re.compile(r"^[\d -]{12,23}$")


class PaymentStatus(Enum):
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    DECLINED = "DECLINED"


class TransactionKind(Enum):
    AUTHORIZE = "AUTHORIZE"
    CAPTURE = "CAPTURE"
    VOID = "VOID"
    REFUND = "REFUND"


@dataclass(frozen=True, slots=True)
class PaymentTransaction:
    kind: TransactionKind
    amount: Decimal
    reference: str
    at: datetime


@dataclass(slots=True)
class Payment:
    id: str
    order_id: str
    gateway: str
    currency: str
    authorization: str  # the provider's authorization reference
    authorized: Decimal
    captured: Decimal = ZERO
    refunded: Decimal = ZERO
    declined: bool = False
    voided: bool = False
    closed: bool = False
    transactions: list[PaymentTransaction] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    @property
    def status(self) -> PaymentStatus:
        return payment_status(
            self.authorized, self.captured, self.refunded, self.declined, self.voided
        )

    @property
    def capturable(self) -> Decimal:
        open_ = not (self.declined or self.voided or self.closed)
        return self.authorized - self.captured if open_ else ZERO

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded


def payment_status(
    authorized: Decimal, captured: Decimal, refunded: Decimal, declined: bool, voided: bool
) -> PaymentStatus:
    if declined:
        return PaymentStatus.DECLINED
    if captured == ZERO:
        return PaymentStatus.VOIDED if voided else PaymentStatus.AUTHORIZED
    if refunded == ZERO:
        return PaymentStatus.CAPTURED
    return PaymentStatus.REFUNDED if refunded >= captured else PaymentStatus.PARTIALLY_REFUNDED


def payment_input_errors(
    gateway: str,
    token: str,
    gateways: Mapping[str, PaymentGateway],
    base: Sequence[str] = ("input", "payment"),
) -> list[FieldError]:
    """An unknown gateway, or a token that is empty, huge, or looks like a card number (a
    client that sends a PAN is told no, and the number goes nowhere: not stored, not logged)."""
    errors = []
    if gateway not in gateways:
        errors.append(invalid((*base, "gateway"), f"Unknown payment gateway {gateway!r}."))
    if not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        errors.append(invalid((*base, "token"), "Send the token your payment provider issued."))
    elif looks_like_card_number(token):
        errors.append(
            invalid((*base, "token"), "Card numbers are never accepted; send a provider token.")
        )
    return errors


def looks_like_card_number(value: str) -> bool:
    if not _CARD_LIKE.match(value):
        return False
    digits = [int(c) for c in value if c.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        checksum += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
    return checksum % 10 == 0


def authorized_payment(
    payment_id: str,
    order_id: str,
    gateway: str,
    currency: str,
    amount: Decimal,
    result: GatewayResult,
    at: datetime,
) -> Payment:
    """The payment an authorization produced; a declined one raises PAYMENT_DECLINED (the
    order is then not placed, so no declined payment is kept)."""
    if not result.approved:
        raise DomainError.single(
            ("input", "payment"),
            ErrorCode.PAYMENT_DECLINED,
            result.message or "The payment was declined.",
        )
    amount = round_money(amount, currency)
    payment = Payment(payment_id, order_id, gateway, currency, result.reference, amount)
    payment.transactions.append(
        PaymentTransaction(TransactionKind.AUTHORIZE, amount, result.reference, at)
    )
    return payment


def check_capture(payment: Payment, amount: Decimal) -> None:
    if amount <= ZERO or amount > payment.capturable:
        raise DomainError.single(
            ("amount",),
            ErrorCode.INVALID_TRANSITION,
            f"Cannot capture {amount}: {payment.capturable} is left to capture.",
        )


def record_capture(payment: Payment, amount: Decimal, result: GatewayResult, at: datetime) -> None:
    check_capture(payment, amount)
    payment.captured += amount
    payment.transactions.append(
        PaymentTransaction(TransactionKind.CAPTURE, amount, result.reference, at)
    )
    payment.events.append(_event(PaymentCaptured, payment, amount, at))


def check_void(payment: Payment) -> None:
    if payment.capturable == ZERO:
        raise DomainError.single(
            ("id",), ErrorCode.INVALID_TRANSITION, "Nothing authorized is left to release."
        )


def record_void(payment: Payment, result: GatewayResult, at: datetime) -> None:
    """Release the uncaptured authorization: VOIDED when nothing was captured, else closed."""
    check_void(payment)
    released = payment.capturable
    payment.voided = payment.captured == ZERO
    payment.closed = True
    payment.transactions.append(
        PaymentTransaction(TransactionKind.VOID, released, result.reference, at)
    )
    payment.events.append(_event(PaymentVoided, payment, released, at))


def check_refund(payment: Payment, amount: Decimal) -> None:
    if amount <= ZERO or amount > payment.refundable:
        raise DomainError.single(
            ("amount",),
            ErrorCode.INVALID,
            f"Cannot refund {amount}: {payment.refundable} was captured and not refunded.",
        )


def record_refund(payment: Payment, amount: Decimal, result: GatewayResult, at: datetime) -> None:
    check_refund(payment, amount)
    payment.refunded += amount
    payment.transactions.append(
        PaymentTransaction(TransactionKind.REFUND, amount, result.reference, at)
    )
    payment.events.append(_event(PaymentRefunded, payment, amount, at))


def _event(
    kind: type[PaymentCaptured] | type[PaymentVoided] | type[PaymentRefunded],
    payment: Payment,
    amount: Decimal,
    at: datetime,
) -> DomainEvent:
    return kind(
        payment_id=payment.id,
        order_id=payment.order_id,
        gateway=payment.gateway,
        amount=amount,
        currency=payment.currency,
        status=payment.status.value,
        at=at,
    )
