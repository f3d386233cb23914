"""The promotion engine: what a shopper sees in the cart, rule by rule (docs/promotions.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.errors import ErrorCode
from domain.promotions.engine import apply_promotions, coupon_field_errors
from domain.promotions.model import (
    CartLineSnapshot,
    CartSnapshot,
    CouponRejection,
    Promotion,
    PromotionKind,
    may_use,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
D = Decimal


def promo(pid: int, kind: PromotionKind, value: str, **kw: object) -> Promotion:
    fields: dict[str, object] = {"channels": frozenset({"web"}), "name": f"P{pid}"}
    fields.update(kw)
    return Promotion(id=pid, kind=kind, value=D(value), **fields)  # type: ignore[arg-type]


def line(line_id: str, sku: str, qty: int, price: str, *cats: str) -> CartLineSnapshot:
    return CartLineSnapshot(line_id, sku, frozenset(cats), qty, D(price))


def cart(
    *lines: CartLineSnapshot,
    shipping: str = "0",
    codes: frozenset[str] = frozenset(),
    channel: str = "web",
    currency: str = "USD",
    source: str | None = None,
    at: datetime = NOW,
) -> CartSnapshot:
    return CartSnapshot(channel, currency, tuple(lines), D(shipping), codes, source, at)


def test_an_order_percent_is_spread_over_the_lines_and_adds_up_to_the_rounded_total() -> None:
    # given three lines of 10.00 and 10% off the order
    snapshot = cart(line("a", "A", 1, "10"), line("b", "B", 1, "10"), line("c", "C", 1, "10.01"))
    # when
    result = apply_promotions([promo(1, PromotionKind.ORDER_PERCENT, "10")], snapshot)
    # then 10% of 30.01 is 3.00, split so that the parts add up to exactly that
    assert result.merchandise == D("3.00")
    assert sorted(result.lines.values()) == [D("1.00"), D("1.00"), D("1.00")]
    assert result.applied[0].amount == D("3.00")


def test_a_percentage_applies_after_a_fixed_amount() -> None:
    # given 10.00 off and 10% off, the percentage with the higher priority
    promotions = [
        promo(1, PromotionKind.ORDER_PERCENT, "10", priority=5),
        promo(2, PromotionKind.ORDER_FIXED, "10"),
    ]
    # when
    result = apply_promotions(promotions, cart(line("a", "A", 1, "100")))
    # then the fixed amount comes first: 10 + 10% of 90 = 19, not 10% of 100 + 10 = 20
    assert result.lines["a"] == D("19.00")
    assert [a.promotion_id for a in result.applied] == [2, 1]


def test_a_fixed_line_discount_larger_than_the_line_is_clamped_to_the_line() -> None:
    # given 15.00 off each unit of a SKU that costs 9.99
    promotions = [promo(1, PromotionKind.LINE_FIXED, "15", skus=frozenset({"A"}))]
    # when
    result = apply_promotions(promotions, cart(line("a", "A", 2, "9.99"), line("b", "B", 1, "5")))
    # then the line becomes free, never negative, and the other line is untouched
    assert result.lines == {"a": D("19.98"), "b": D("0.00")}


def test_a_line_promotion_targets_by_category() -> None:
    promotions = [promo(1, PromotionKind.LINE_PERCENT, "50", categories=frozenset({"shoes"}))]
    snapshot = cart(line("a", "A", 1, "80", "shoes", "men"), line("b", "B", 1, "20", "socks"))
    result = apply_promotions(promotions, snapshot)
    assert result.lines == {"a": D("40.00"), "b": D("0.00")}


def test_buy_two_get_one_discounts_the_cheapest_unit_of_each_group() -> None:
    # given buy 2 get 1 free on shirts, and 7 shirts at three prices
    bxgy = promo(1, PromotionKind.BUY_X_GET_Y, "100", buy_quantity=2, get_quantity=1)
    snapshot = cart(line("a", "S1", 3, "30"), line("b", "S2", 2, "10"), line("c", "S3", 2, "20"))
    # when
    result = apply_promotions([bxgy], snapshot)
    # then 7 units make 2 groups: the 2 cheapest units (both 10.00) are free
    assert result.lines == {"a": D("0.00"), "b": D("20.00"), "c": D("0.00")}


def test_free_shipping_waives_the_shipping_and_nothing_else() -> None:
    result = apply_promotions(
        [promo(1, PromotionKind.FREE_SHIPPING, "0")], cart(line("a", "A", 1, "10"), shipping="4.95")
    )
    assert result.shipping == D("4.95")
    assert result.merchandise == D("0.00")


def test_an_exclusive_promotion_with_the_highest_priority_applies_alone() -> None:
    # given an automatic 10% and an exclusive 30% coupon ranked above it
    promotions = [
        promo(1, PromotionKind.ORDER_PERCENT, "10"),
        promo(2, PromotionKind.ORDER_PERCENT, "30", coupon_code="VIP", exclusive=True, priority=9),
    ]
    # when the shopper enters the coupon
    result = apply_promotions(promotions, cart(line("a", "A", 1, "100"), codes=frozenset({"vip"})))
    # then only the coupon applies
    assert [a.promotion_id for a in result.applied] == [2]
    assert result.merchandise == D("30.00")
    assert result.coupon_errors == {}


def test_an_exclusive_coupon_below_a_stacking_promotion_is_refused_as_not_combinable() -> None:
    promotions = [
        promo(1, PromotionKind.ORDER_PERCENT, "10", priority=9),
        promo(2, PromotionKind.ORDER_PERCENT, "30", coupon_code="VIP", exclusive=True),
    ]
    result = apply_promotions(promotions, cart(line("a", "A", 1, "100"), codes=frozenset({"VIP"})))
    assert [a.promotion_id for a in result.applied] == [1]
    assert result.coupon_errors == {"VIP": ErrorCode.COUPON_INVALID}
    assert result.coupon_rejections == {"VIP": CouponRejection.NOT_COMBINABLE}


def test_coupon_errors_tell_unknown_expired_and_exhausted_apart() -> None:
    # given an expired coupon and an exhausted one
    promotions = [
        promo(1, PromotionKind.ORDER_FIXED, "5", coupon_code="OLD", ends_at=NOW),
        promo(2, PromotionKind.ORDER_FIXED, "5", coupon_code="GONE", usage_limit=10, times_used=10),
    ]
    codes = frozenset({"OLD", "GONE", "NOPE"})
    # when
    result = apply_promotions(promotions, cart(line("a", "A", 1, "100"), codes=codes))
    # then nothing is discounted and each code says why
    assert result.applied == ()
    assert result.coupon_errors == {
        "OLD": ErrorCode.COUPON_INVALID,
        "GONE": ErrorCode.COUPON_EXHAUSTED,
        "NOPE": ErrorCode.COUPON_INVALID,
    }
    assert result.coupon_rejections["OLD"] is CouponRejection.EXPIRED
    assert result.coupon_rejections["NOPE"] is CouponRejection.UNKNOWN


def test_the_schedule_starts_inclusive_and_ends_exclusive() -> None:
    window = {"starts_at": NOW, "ends_at": NOW + timedelta(days=1)}
    promotions = [promo(1, PromotionKind.ORDER_FIXED, "5", **window)]
    snapshot = line("a", "A", 1, "10")
    assert apply_promotions(promotions, cart(snapshot, at=NOW)).merchandise == D("5.00")
    at_end = cart(snapshot, at=NOW + timedelta(days=1))
    assert apply_promotions(promotions, at_end).merchandise == D("0.00")
    before = cart(snapshot, at=NOW - timedelta(seconds=1))
    assert apply_promotions(promotions, before).merchandise == D("0.00")


def test_channel_minimum_subtotal_and_source_code_conditions() -> None:
    promotions = [
        promo(1, PromotionKind.ORDER_FIXED, "5", min_subtotal=D("50")),
        promo(2, PromotionKind.ORDER_FIXED, "1", source_code="SPRING"),
        promo(3, PromotionKind.ORDER_FIXED, "2", channels=frozenset({"app"})),
    ]
    small = apply_promotions(promotions, cart(line("a", "A", 1, "49.99")))
    assert small.applied == ()
    campaign = apply_promotions(promotions, cart(line("a", "A", 1, "50"), source="spring"))
    assert {a.promotion_id for a in campaign.applied} == {1, 2}
    app = apply_promotions(promotions, cart(line("a", "A", 1, "10"), channel="app"))
    assert [a.promotion_id for a in app.applied] == [3]


def test_a_coupon_for_items_not_in_the_cart_says_nothing_qualifies() -> None:
    promotions = [promo(1, PromotionKind.LINE_PERCENT, "10", coupon_code="X", skus=frozenset("Z"))]
    result = apply_promotions(promotions, cart(line("a", "A", 1, "10"), codes=frozenset({"X"})))
    assert result.coupon_rejections == {"X": CouponRejection.NOTHING_TO_DISCOUNT}


def test_amounts_follow_the_currency_minor_unit() -> None:
    result = apply_promotions(
        [promo(1, PromotionKind.ORDER_PERCENT, "15")],
        cart(line("a", "A", 1, "999"), currency="JPY"),
    )
    assert result.lines["a"] == D("150")  # 149.85 rounds to whole yen


def test_usage_limit_rule() -> None:
    limited = promo(1, PromotionKind.ORDER_FIXED, "5", usage_limit=2)
    assert may_use(limited, 1)
    assert not may_use(limited, 2)
    assert may_use(promo(2, PromotionKind.ORDER_FIXED, "5"), 10**9)


def test_an_applied_limited_promotion_is_flagged_for_counting_at_checkout() -> None:
    promotions = [promo(1, PromotionKind.ORDER_FIXED, "5", usage_limit=10, coupon_code="TEN")]
    result = apply_promotions(promotions, cart(line("a", "A", 1, "10"), codes=frozenset({"ten"})))
    assert result.applied[0].limited
    assert result.applied[0].coupon_code == "TEN"


def test_coupon_problems_become_user_errors_on_the_code_field() -> None:
    result = apply_promotions([], cart(line("a", "A", 1, "10"), codes=frozenset({"NOPE"})))
    errors = coupon_field_errors(result)
    assert [(e.field, e.code) for e in errors] == [(("code",), ErrorCode.COUPON_INVALID)]
    assert errors[0].message == "NOPE: No promotion has this coupon code."
