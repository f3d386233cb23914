"""What promotion use cases need from persistence (docs/promotions.md, "Wiring")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.promotions.model import Promotion


class PromotionRepository(Protocol):
    async def add(self, promotion: Promotion, channel_ids: Mapping[str, int], at: datetime) -> int:
        """Store a new promotion (its `id` is ignored); returns the id it got."""
        ...

    async def taken_coupon_codes(self, codes: Iterable[str]) -> set[str]:
        """Which of these normalized codes a promotion already has."""
        ...

    async def for_pricing(
        self, channel: str, at: datetime, coupon_codes: Iterable[str]
    ) -> list[Promotion]:
        """In one read: the channel's promotions live at `at`, plus every promotion holding
        one of `coupon_codes` whatever its channel or schedule (so the engine can say why a
        code gives nothing: expired, another channel...)."""
        ...

    async def categories_of(self, skus: Iterable[str]) -> dict[str, frozenset[str]]:
        """Per SKU, the codes of its product's category and of that category's ancestors."""
        ...

    async def redeem(self, promotion_id: int) -> bool:
        """Count one use if the usage limit allows it, atomically (the row stays locked
        until the transaction ends); False when the promotion is exhausted."""
        ...

    async def record_redemptions(
        self, order_id: str, amounts: Mapping[int, Decimal], at: datetime
    ) -> None:
        """What each promotion took off the order (one row per promotion and order)."""
        ...


class PromotionPorts(Protocol):
    """The promotions' part of the unit of work."""

    @property
    def promotions(self) -> PromotionRepository: ...
