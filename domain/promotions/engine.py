"""The promotion engine: pure functions from (promotions, cart snapshot) to discounts.

docs/promotions.md is the rulebook. In short: promotions are *selected* in priority order
(highest first, then lowest id) with exclusivity deciding what stacks; the selected ones are
*applied* in a fixed order of stages, each working on what earlier stages left:

    BUY_X_GET_Y -> LINE_FIXED -> LINE_PERCENT -> ORDER_FIXED -> ORDER_PERCENT -> FREE_SHIPPING

so a percentage always applies after fixed amounts. Every step is clamped to what is left of
what it discounts, which is why no discount can exceed its line, the subtotal or shipping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import FieldError
from domain.money import round_money
from domain.promotions.model import (
    AppliedPromotion,
    CartLineSnapshot,
    CartSnapshot,
    CouponRejection,
    Discounts,
    Promotion,
    PromotionKind,
    may_use,
    normalize_code,
)
from domain.proration import allocate, zero

STAGES = (
    PromotionKind.BUY_X_GET_Y,
    PromotionKind.LINE_FIXED,
    PromotionKind.LINE_PERCENT,
    PromotionKind.ORDER_FIXED,
    PromotionKind.ORDER_PERCENT,
    PromotionKind.FREE_SHIPPING,
)
HUNDRED = Decimal(100)


@dataclass(slots=True)
class _Cart:
    """What is left to discount while stages run."""

    currency: str
    lines: tuple[CartLineSnapshot, ...]  # sorted by line id: results never depend on input order
    base: dict[str, Decimal]
    remaining: dict[str, Decimal]
    shipping: Decimal
    shipping_left: Decimal
    subtotal: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.subtotal = sum(self.base.values(), zero(self.currency))


def apply_promotions(promotions: Iterable[Promotion], snapshot: CartSnapshot) -> Discounts:
    """The discounts the snapshot earns. Pure and deterministic."""
    cart = _cart(snapshot)
    entered = frozenset(normalize_code(code) for code in snapshot.coupon_codes)
    ordered = sorted(promotions, key=lambda p: (-p.priority, p.id))
    selected, reasons = _select(ordered, snapshot, cart, entered)
    applied = [
        result
        for stage in STAGES
        for promotion in selected
        if promotion.kind is stage and (result := _apply(promotion, cart)) is not None
    ]
    for promotion in selected:
        if not any(a.promotion_id == promotion.id for a in applied):
            reasons.setdefault(promotion.id, CouponRejection.NOTHING_TO_DISCOUNT)
    by_code = _coupon_rejections(ordered, entered, applied, reasons)
    rejections = {
        code: by_code[normalize_code(code)]
        for code in sorted(snapshot.coupon_codes)
        if normalize_code(code) in by_code
    }
    return Discounts(
        lines={
            line.line_id: cart.base[line.line_id] - cart.remaining[line.line_id]
            for line in cart.lines
        },
        shipping=cart.shipping - cart.shipping_left,
        applied=tuple(applied),  # in the order they were applied
        coupon_errors={code: reason.code for code, reason in rejections.items()},
        coupon_rejections=rejections,
    )


def coupon_field_errors(
    discounts: Discounts, field: tuple[str, ...] = ("code",)
) -> list[FieldError]:
    """The coupon problems as userErrors (cartCouponApply: field ["code"])."""
    return [
        FieldError(field, rejection.code, f"{code}: {rejection.value}")
        for code, rejection in sorted(discounts.coupon_rejections.items())
    ]


def _cart(snapshot: CartSnapshot) -> _Cart:
    currency = snapshot.currency
    lines = tuple(sorted(snapshot.lines, key=lambda line: line.line_id))
    base = {
        line.line_id: round_money(
            max(Decimal(0), line.unit_price) * max(0, line.quantity), currency
        )
        for line in lines
    }
    shipping = round_money(max(Decimal(0), snapshot.shipping), currency)
    return _Cart(currency, lines, base, dict(base), shipping, shipping)


def _select(
    ordered: list[Promotion], snapshot: CartSnapshot, cart: _Cart, entered: frozenset[str]
) -> tuple[list[Promotion], dict[int, CouponRejection]]:
    """Walk promotions by priority; an exclusive one applies alone or not at all."""
    selected: list[Promotion] = []
    reasons: dict[int, CouponRejection] = {}
    for promotion in ordered:
        if promotion.coupon_code is not None and promotion.coupon_code not in entered:
            continue  # a coupon promotion is only triggered by its code
        reason = _ineligible(promotion, snapshot, cart)
        if reason is None and selected and (promotion.exclusive or selected[0].exclusive):
            reason = CouponRejection.NOT_COMBINABLE
        if reason is None:
            selected.append(promotion)
        else:
            reasons[promotion.id] = reason
    return selected, reasons


def _ineligible(
    promotion: Promotion, snapshot: CartSnapshot, cart: _Cart
) -> CouponRejection | None:
    if snapshot.channel not in promotion.channels:
        return CouponRejection.WRONG_CHANNEL
    if promotion.starts_at is not None and snapshot.at < promotion.starts_at:
        return CouponRejection.NOT_STARTED
    if promotion.ends_at is not None and snapshot.at >= promotion.ends_at:
        return CouponRejection.EXPIRED
    if promotion.source_code is not None and (
        snapshot.source_code is None
        or normalize_code(snapshot.source_code) != promotion.source_code
    ):
        return CouponRejection.SOURCE_CODE_MISMATCH
    if not may_use(promotion, promotion.times_used):
        return CouponRejection.EXHAUSTED
    if promotion.min_subtotal is not None and cart.subtotal < promotion.min_subtotal:
        return CouponRejection.BELOW_MIN_SUBTOTAL
    if not _has_something(promotion, cart):
        return CouponRejection.NOTHING_TO_DISCOUNT
    return None


def _has_something(promotion: Promotion, cart: _Cart) -> bool:
    """Judged on the cart before any discount: selection does not depend on stage order."""
    if promotion.kind is PromotionKind.FREE_SHIPPING:
        return cart.shipping > 0
    if promotion.kind is PromotionKind.BUY_X_GET_Y:
        return _free_units(promotion, cart) != {}
    if promotion.kind in (PromotionKind.LINE_FIXED, PromotionKind.LINE_PERCENT):
        return any(cart.base[line.line_id] > 0 for line in _targeted(promotion, cart))
    return cart.subtotal > 0


def _targeted(promotion: Promotion, cart: _Cart) -> list[CartLineSnapshot]:
    return [line for line in cart.lines if promotion.targets(line.sku, line.categories)]


def _free_units(promotion: Promotion, cart: _Cart) -> dict[str, int]:
    """Buy X get Y: per complete group of X+Y targeted units, the Y cheapest are discounted."""
    buy, get = promotion.buy_quantity or 0, promotion.get_quantity or 0
    if buy < 1 or get < 1:
        return {}
    lines = [line for line in _targeted(promotion, cart) if line.quantity > 0]
    units = sum(line.quantity for line in lines)
    free = (units // (buy + get)) * get
    result: dict[str, int] = {}
    for line in sorted(lines, key=lambda item: (item.unit_price, item.line_id)):
        if free <= 0:
            break
        taken = min(free, line.quantity)
        if line.unit_price > 0:
            result[line.line_id] = taken
        free -= taken
    return result


def _apply(promotion: Promotion, cart: _Cart) -> AppliedPromotion | None:
    """Take this promotion's discount off what is left; None when it found nothing left."""
    currency = cart.currency
    parts: dict[str, Decimal] = {}
    shipping = zero(currency)
    percent = min(max(promotion.value, Decimal(0)), HUNDRED)
    fixed = round_money(max(promotion.value, Decimal(0)), currency)
    kind = promotion.kind
    if kind is PromotionKind.BUY_X_GET_Y:
        by_id = {line.line_id: line for line in cart.lines}
        for line_id, units in _free_units(promotion, cart).items():
            wanted = round_money(by_id[line_id].unit_price * units * percent / HUNDRED, currency)
            parts[line_id] = min(wanted, cart.remaining[line_id])
    elif kind is PromotionKind.LINE_FIXED:
        for line in _targeted(promotion, cart):
            wanted = round_money(fixed * max(0, line.quantity), currency)
            parts[line.line_id] = min(wanted, cart.remaining[line.line_id])  # clamped to the line
    elif kind is PromotionKind.LINE_PERCENT:
        for line in _targeted(promotion, cart):
            left = cart.remaining[line.line_id]
            parts[line.line_id] = min(round_money(left * percent / HUNDRED, currency), left)
    elif kind in (PromotionKind.ORDER_FIXED, PromotionKind.ORDER_PERCENT):
        parts = _order_parts(promotion, cart, fixed, percent)
    else:  # FREE_SHIPPING
        shipping = cart.shipping_left
    parts = {line_id: amount for line_id, amount in parts.items() if amount > 0}
    if not parts and shipping == 0:
        return None
    for line_id, amount in parts.items():
        cart.remaining[line_id] -= amount
    cart.shipping_left -= shipping
    return AppliedPromotion(
        promotion_id=promotion.id,
        name=promotion.name,
        kind=kind,
        coupon_code=promotion.coupon_code,
        source_code=promotion.source_code,
        amount=sum(parts.values(), zero(currency)) + shipping,
        lines=parts,
        shipping=shipping,
        limited=promotion.usage_limit is not None,
    )


def _order_parts(
    promotion: Promotion, cart: _Cart, fixed: Decimal, percent: Decimal
) -> dict[str, Decimal]:
    """An order-level discount, computed on what is left and spread over the lines in
    proportion to what is left of each (largest remainder: the parts sum to the total)."""
    ids = [line.line_id for line in cart.lines]
    weights = [cart.remaining[line_id] for line_id in ids]
    left = sum(weights, zero(cart.currency))
    if promotion.kind is PromotionKind.ORDER_FIXED:
        total = min(fixed, left)
    else:
        total = min(round_money(left * percent / HUNDRED, cart.currency), left)
    if total <= 0:
        return {}
    return dict(zip(ids, allocate(total, weights, cart.currency, keys=ids), strict=True))


def _coupon_rejections(
    ordered: list[Promotion],
    entered: frozenset[str],
    applied: list[AppliedPromotion],
    reasons: Mapping[int, CouponRejection],
) -> dict[str, CouponRejection]:
    """Per normalized code: fine when one of its promotions gave something; otherwise the
    reason of the first (by priority) of its promotions, or UNKNOWN when none has the code."""
    used = {a.promotion_id for a in applied}
    rejections: dict[str, CouponRejection] = {}
    for normalized in entered:
        holders = [p for p in ordered if p.coupon_code == normalized]
        if any(p.id in used for p in holders):
            continue
        first = next((reasons[p.id] for p in holders if p.id in reasons), None)
        rejections[normalized] = first or CouponRejection.UNKNOWN
    return rejections
