"""The built-in `test` gateway: deterministic, offline, for development and tests.

Tokens: `tok_ok` is approved, `tok_declined` is declined (code `card_declined`), `tok_error`
fails as an unreachable provider would; any other token is declined (`invalid_token`).
Transaction ids are derived from the idempotency key, so the same call gives the same id.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from domain.payments.ports import GatewayOutcome, GatewayResult

APPROVE = "tok_ok"
DECLINE = "tok_declined"
FAIL = "tok_error"


def _reference(kind: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{kind}:{idempotency_key}".encode()).hexdigest()[:24]
    return f"test_{kind}_{digest}"


class TestGateway:
    """Satisfies domain.payments.ports.PaymentGateway."""

    __test__ = False  # not a pytest test class, whatever its name

    @property
    def code(self) -> str:
        return "test"

    async def authorize(
        self, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        reference = _reference("auth", idempotency_key)
        if amount <= 0:
            return GatewayResult(
                GatewayOutcome.DECLINED, reference, "Nothing to authorize.", "invalid_amount"
            )
        if token == APPROVE:
            return GatewayResult(GatewayOutcome.APPROVED, reference)
        if token == DECLINE:
            return GatewayResult(
                GatewayOutcome.DECLINED, reference, "The card was declined.", "card_declined"
            )
        if token == FAIL:
            return GatewayResult(
                GatewayOutcome.FAILED, reference, "The provider did not answer.", "unavailable"
            )
        return GatewayResult(
            GatewayOutcome.DECLINED, reference, "Unknown test token.", "invalid_token"
        )

    async def capture(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        return self._follow_up("capture", authorization, amount, idempotency_key)

    async def void(self, authorization: str, idempotency_key: str) -> GatewayResult:
        return self._follow_up("void", authorization, None, idempotency_key)

    async def refund(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        return self._follow_up("refund", authorization, amount, idempotency_key)

    def _follow_up(
        self, kind: str, authorization: str, amount: Decimal | None, idempotency_key: str
    ) -> GatewayResult:
        reference = _reference(kind, idempotency_key)
        if not authorization.startswith("test_auth_"):
            return GatewayResult(
                GatewayOutcome.DECLINED,
                reference,
                "Unknown authorization.",
                "unknown_authorization",
            )
        if amount is not None and amount <= 0:
            return GatewayResult(
                GatewayOutcome.DECLINED, reference, "Amount must be positive.", "invalid_amount"
            )
        return GatewayResult(GatewayOutcome.APPROVED, reference)
