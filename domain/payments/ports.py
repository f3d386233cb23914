"""The payment gateway port. Tokens only: card data never reaches Orchestra.

Every call carries an idempotency key; a gateway returns the same result for the same key, so
a handler that retries after a crash never charges twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Protocol


class GatewayOutcome(Enum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"  # the provider said no (card declined, amount too high)
    FAILED = "FAILED"  # the provider could not be reached or erred: retry later


@dataclass(frozen=True, slots=True)
class GatewayResult:
    outcome: GatewayOutcome
    reference: str  # the provider's id of this transaction
    message: str = ""
    code: str | None = None  # the provider's reason code

    @property
    def approved(self) -> bool:
        return self.outcome is GatewayOutcome.APPROVED


class PaymentGateway(Protocol):
    @property
    def code(self) -> str:
        """The name clients pass as `payment.gateway`."""
        ...

    async def authorize(
        self, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult: ...

    async def capture(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult: ...

    async def void(self, authorization: str, idempotency_key: str) -> GatewayResult:
        """Release what is authorized and not captured."""
        ...

    async def refund(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult: ...
