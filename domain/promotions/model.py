"""Promotions and the cart snapshot the engine reads. Rules are in docs/promotions.md.

The snapshot types are the seam agreed in TEAM.md: pricing (orders-domain) builds a
`CartSnapshot`, calls `apply_promotions` and reads `Discounts` back, without either side
importing the other's model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from domain.errors import ErrorCode


class PromotionKind(Enum):
    ORDER_PERCENT = "ORDER_PERCENT"  # value: percent off the merchandise subtotal
    ORDER_FIXED = "ORDER_FIXED"  # value: amount off the merchandise subtotal
    LINE_PERCENT = "LINE_PERCENT"  # value: percent off each targeted line
    LINE_FIXED = "LINE_FIXED"  # value: amount off each targeted unit
    BUY_X_GET_Y = "BUY_X_GET_Y"  # value: percent off the Y cheapest units (100 = free)
    FREE_SHIPPING = "FREE_SHIPPING"  # value: ignored; the whole shipping charge is waived


PERCENT_KINDS = frozenset(
    {PromotionKind.ORDER_PERCENT, PromotionKind.LINE_PERCENT, PromotionKind.BUY_X_GET_Y}
)
FIXED_KINDS = frozenset({PromotionKind.ORDER_FIXED, PromotionKind.LINE_FIXED})
# Kinds that target lines by SKU or category (no target = every line).
TARGETED_KINDS = frozenset(
    {PromotionKind.LINE_PERCENT, PromotionKind.LINE_FIXED, PromotionKind.BUY_X_GET_Y}
)


def normalize_code(code: str) -> str:
    """Coupon and source codes match case-insensitively, ignoring surrounding blanks."""
    return code.strip().upper()


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion as stored. Codes are kept normalized (`normalize_code`).

    `times_used` is the counter as last read; it lets the engine tell the shopper a coupon is
    exhausted, but only the locked increment at checkout decides (see `may_use`).
    """

    id: int
    name: str
    kind: PromotionKind
    value: Decimal
    channels: frozenset[str]
    coupon_code: str | None = None
    usage_limit: int | None = None
    times_used: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_subtotal: Decimal | None = None
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    buy_quantity: int | None = None
    get_quantity: int | None = None
    exclusive: bool = False
    priority: int = 0
    source_code: str | None = None

    def targets(self, sku: str, categories: frozenset[str]) -> bool:
        if not self.skus and not self.categories:
            return True
        return sku in self.skus or not self.categories.isdisjoint(categories)


def may_use(promotion: Promotion, times_used: int) -> bool:
    """Whether one more use fits the usage limit.

    The pure rule only. Under concurrent checkouts the decision must be made by the database
    in the checkout's transaction, by the one statement that also counts the use:
    `UPDATE promotions SET times_used = times_used + 1
      WHERE id = :id AND (usage_limit IS NULL OR times_used < usage_limit) RETURNING ...`
    (no row back = exhausted: the checkout fails with COUPON_EXHAUSTED and changes nothing).
    """
    return promotion.usage_limit is None or times_used < promotion.usage_limit


@dataclass(frozen=True, slots=True)
class CartLineSnapshot:
    line_id: str
    sku: str
    categories: frozenset[str]
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class CartSnapshot:
    """What the engine needs of a cart or an order being placed, and nothing else."""

    channel: str
    currency: str
    lines: tuple[CartLineSnapshot, ...]
    shipping: Decimal
    coupon_codes: frozenset[str]
    source_code: str | None
    at: datetime


class CouponRejection(Enum):
    """Why a coupon the shopper entered gives nothing; the first failing check is reported."""

    UNKNOWN = "No promotion has this coupon code."
    WRONG_CHANNEL = "This coupon is not valid in this channel."
    NOT_STARTED = "This coupon is not valid yet."
    EXPIRED = "This coupon has expired."
    SOURCE_CODE_MISMATCH = "This coupon is only valid for another campaign."
    EXHAUSTED = "This coupon has reached its usage limit."
    BELOW_MIN_SUBTOTAL = "The cart subtotal is below this coupon's minimum."
    NOTHING_TO_DISCOUNT = "Nothing in the cart qualifies for this coupon."
    NOT_COMBINABLE = "This coupon cannot be combined with another promotion in the cart."

    @property
    def code(self) -> ErrorCode:
        if self is CouponRejection.EXHAUSTED:
            return ErrorCode.COUPON_EXHAUSTED
        return ErrorCode.COUPON_INVALID


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    promotion_id: int
    name: str
    kind: PromotionKind
    coupon_code: str | None
    source_code: str | None
    amount: Decimal  # everything this promotion took off: its line parts plus shipping
    lines: Mapping[str, Decimal]  # its part per line id (lines it did not touch are absent)
    shipping: Decimal
    limited: bool  # has a usage limit: checkout must count the use under a lock


@dataclass(frozen=True, slots=True)
class Discounts:
    """The engine's answer; every amount is rounded to the snapshot's currency.

    `lines` has an entry for every line of the snapshot (zero where nothing applied).
    `coupon_errors` is keyed by the code as the shopper entered it.
    """

    lines: Mapping[str, Decimal]
    shipping: Decimal
    applied: tuple[AppliedPromotion, ...]
    coupon_errors: Mapping[str, ErrorCode]
    coupon_rejections: Mapping[str, CouponRejection] = field(default_factory=dict)

    @property
    def merchandise(self) -> Decimal:
        return sum(self.lines.values(), self.shipping - self.shipping)  # a zero in the currency

    @property
    def total(self) -> Decimal:
        return self.merchandise + self.shipping
