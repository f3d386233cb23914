"""Payment facts, for the ledger (one journal entry each) and for audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from domain.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentEvent(DomainEvent):
    topic: ClassVar[str] = "payments"
    payment_id: str
    order_id: str
    gateway: str
    amount: Decimal
    currency: str
    status: str  # PaymentStatus after the change
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCaptured(PaymentEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentVoided(PaymentEvent):
    """`amount` is the authorization released."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRefunded(PaymentEvent):
    pass
