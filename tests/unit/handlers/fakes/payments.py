"""A gateway that remembers what it was asked, over the built-in test gateway's answers."""

from __future__ import annotations

from decimal import Decimal

from domain.payments.builtin_gateway import TestGateway
from domain.payments.ports import GatewayResult


class RecordingGateway:
    """Satisfies PaymentGateway; `open_authorizations` is what a provider would still hold."""

    def __init__(self) -> None:
        self.inner = TestGateway()
        self.authorized: list[str] = []
        self.voided: list[str] = []
        self.captured: list[str] = []

    @property
    def code(self) -> str:
        return "test"

    @property
    def open_authorizations(self) -> set[str]:
        return set(self.authorized) - set(self.voided) - set(self.captured)

    async def authorize(
        self, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        result = await self.inner.authorize(token, amount, currency, idempotency_key)
        if result.approved:
            self.authorized.append(result.reference)
        return result

    async def capture(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        self.captured.append(authorization)
        return await self.inner.capture(authorization, amount, currency, idempotency_key)

    async def void(self, authorization: str, idempotency_key: str) -> GatewayResult:
        self.voided.append(authorization)
        return await self.inner.void(authorization, idempotency_key)

    async def refund(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        return await self.inner.refund(authorization, amount, currency, idempotency_key)
