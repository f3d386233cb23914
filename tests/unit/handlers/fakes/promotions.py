"""Promotion fakes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.promotions.model import Promotion


class FakePromotions:
    STATE = ("promotions", "redemptions", "sku_categories")

    def __init__(self) -> None:
        self.promotions: dict[int, Promotion] = {}
        self.redemptions: dict[tuple[int, str], Decimal] = {}
        self.sku_categories: dict[str, frozenset[str]] = {}  # set by tests

    async def add(self, promotion: Promotion, channel_ids: Mapping[str, int], at: datetime) -> int:
        assert set(promotion.channels) <= set(channel_ids)
        promotion_id = len(self.promotions) + 1
        self.promotions[promotion_id] = replace(promotion, id=promotion_id, times_used=0)
        return promotion_id

    async def taken_coupon_codes(self, codes: Iterable[str]) -> set[str]:
        held = {p.coupon_code for p in self.promotions.values()}
        return {code for code in codes if code in held}

    async def for_pricing(
        self, channel: str, at: datetime, coupon_codes: Iterable[str]
    ) -> list[Promotion]:
        codes = set(coupon_codes)

        def live(p: Promotion) -> bool:
            return (
                p.coupon_code is None
                and channel in p.channels
                and (p.starts_at is None or p.starts_at <= at)
                and (p.ends_at is None or at < p.ends_at)
            )

        return [
            p
            for _, p in sorted(self.promotions.items())
            if live(p) or (p.coupon_code is not None and p.coupon_code in codes)
        ]

    async def categories_of(self, skus: Iterable[str]) -> dict[str, frozenset[str]]:
        return {sku: self.sku_categories.get(sku, frozenset()) for sku in skus}

    async def redeem(self, promotion_id: int) -> bool:
        p = self.promotions[promotion_id]
        if p.usage_limit is not None and p.times_used >= p.usage_limit:
            return False
        self.promotions[promotion_id] = replace(p, times_used=p.times_used + 1)
        return True

    async def record_redemptions(
        self, order_id: str, amounts: Mapping[int, Decimal], at: datetime
    ) -> None:
        for promotion_id, amount in amounts.items():
            self.redemptions[(promotion_id, order_id)] = amount
