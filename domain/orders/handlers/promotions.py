"""The promotion engine plugged into cart totals and checkout (docs/promotions.md, "Wiring").

Pricing builds the engine's `CartSnapshot` from its priced lines and reads the discounts
back per line; the usage of limited promotions is counted at checkout, under a row lock, in
the transaction that creates the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import DomainError, ErrorCode, FieldError
from domain.orders.pricing import PricingLine
from domain.ports import UnitOfWork
from domain.promotions.engine import apply_promotions
from domain.promotions.model import (
    CartLineSnapshot,
    CartSnapshot,
    CouponRejection,
    Discounts,
    Promotion,
)


@dataclass(frozen=True, slots=True)
class Offers:
    """What one read found for a cart: the promotions that may apply and, when some target
    categories, the categories of the cart's SKUs."""

    promotions: tuple[Promotion, ...]
    categories: Mapping[str, frozenset[str]]


async def load_offers(
    uow: UnitOfWork, channel: str, skus: Iterable[str], coupon_codes: Iterable[str], at: datetime
) -> Offers:
    """One query for the promotions (a second one only when some target categories)."""
    found = await uow.promotions.for_pricing(channel, at, coupon_codes)
    categories: Mapping[str, frozenset[str]] = {}
    if any(p.categories for p in found):
        categories = await uow.promotions.categories_of(skus)
    return Offers(tuple(found), categories)


def discounts_of(
    offers: Offers,
    *,
    channel: str,
    currency: str,
    lines: Sequence[PricingLine],
    shipping: Decimal,
    coupon_codes: Iterable[str],
    source_code: str | None,
    at: datetime,
) -> Discounts:
    snapshot = CartSnapshot(
        channel=channel,
        currency=currency,
        lines=tuple(
            CartLineSnapshot(
                line.line_id,
                line.sku,
                offers.categories.get(line.sku, frozenset()),
                line.quantity,
                line.unit_price,
            )
            for line in lines
        ),
        shipping=shipping,
        coupon_codes=frozenset(coupon_codes),
        source_code=source_code,
        at=at,
    )
    return apply_promotions(offers.promotions, snapshot)


def coupon_errors(
    discounts: Discounts, fields: Mapping[str, Sequence[str]], default: Sequence[str]
) -> list[FieldError]:
    """Every code entered that gives nothing, as userErrors on the field that carried it."""
    return [
        FieldError(tuple(fields.get(code, default)), rejection.code, f"{code}: {rejection.value}")
        for code, rejection in sorted(discounts.coupon_rejections.items())
    ]


async def redeem(
    uow: UnitOfWork,
    discounts: Discounts,
    fields: Mapping[str, Sequence[str]],
    default: Sequence[str],
) -> None:
    """Count one use of each applied promotion with a usage limit, in promotion-id order
    (every checkout locks these rows in the same order: no deadlock). One the limit ran out
    for meanwhile refuses the checkout, and the caller's rollback changes nothing."""
    errors: list[FieldError] = []
    for applied in sorted(discounts.applied, key=lambda a: a.promotion_id):
        if not applied.limited or await uow.promotions.redeem(applied.promotion_id):
            continue
        if applied.coupon_code is not None:
            code = applied.coupon_code
            message = f"{code}: {CouponRejection.EXHAUSTED.value}"
            errors.append(
                FieldError(tuple(fields.get(code, default)), ErrorCode.COUPON_EXHAUSTED, message)
            )
        else:
            errors.append(
                FieldError(
                    ("input",),
                    ErrorCode.CONFLICT,
                    f"The promotion {applied.name!r} reached its usage limit while the order "
                    "was placed; its price changed: send the order again.",
                )
            )
    if errors:
        raise DomainError(errors)


def redemption_amounts(discounts: Discounts) -> dict[int, Decimal]:
    return {a.promotion_id: a.amount for a in discounts.applied}
