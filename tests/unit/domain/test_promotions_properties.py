"""Properties of the promotion engine over random carts and random promotion sets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.money import minor_units, round_money
from domain.promotions.engine import apply_promotions
from domain.promotions.model import (
    CartLineSnapshot,
    CartSnapshot,
    Promotion,
    PromotionKind,
)

# Shared 2-core machines and CI: slow draws are load, not a bug.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CURRENCIES = ["USD", "JPY", "KWD"]


def money(currency: str, max_minor: int, extra_digits: int = 0) -> st.SearchStrategy[Decimal]:
    places = minor_units(currency) + extra_digits
    return st.integers(0, max_minor * 10**extra_digits).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def snapshots(draw: st.DrawFn, currency: str) -> CartSnapshot:
    count = draw(st.integers(1, 5))
    lines = tuple(
        CartLineSnapshot(
            line_id=f"l{i}",
            sku=draw(st.sampled_from("ABCDE")),
            categories=frozenset(draw(st.sets(st.sampled_from(["c1", "c2"])))),
            quantity=draw(st.integers(1, 5)),
            unit_price=draw(money(currency, 50_000, draw(st.sampled_from([0, 0, 1])))),
        )
        for i in range(count)
    )
    return CartSnapshot(
        channel=draw(st.sampled_from(["web", "app"])),
        currency=currency,
        lines=lines,
        shipping=draw(money(currency, 2_000)),
        coupon_codes=frozenset(draw(st.sets(st.sampled_from(["a", "A ", "B", "C"])))),
        source_code=draw(st.sampled_from([None, "s", "T"])),
        at=NOW,
    )


@st.composite
def promotion_sets(draw: st.DrawFn, currency: str) -> list[Promotion]:
    result = []
    for pid in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(list(PromotionKind)))
        percent = kind in (
            PromotionKind.ORDER_PERCENT,
            PromotionKind.LINE_PERCENT,
            PromotionKind.BUY_X_GET_Y,
        )
        if percent:
            value = Decimal(draw(st.integers(1, 10_000))) / 100
        else:
            value = draw(money(currency, 30_000).filter(lambda v: v > 0))
        offset = timedelta(hours=draw(st.integers(-3, 3)))
        result.append(
            Promotion(
                id=pid,
                name=f"P{pid}",
                kind=kind,
                value=value,
                channels=frozenset(draw(st.sets(st.sampled_from(["web", "app"]), min_size=1))),
                coupon_code=draw(st.sampled_from([None, None, "A", "B"])),
                usage_limit=draw(st.sampled_from([None, 1, 3])),
                times_used=draw(st.integers(0, 4)),
                starts_at=draw(st.sampled_from([None, NOW + offset])),
                ends_at=draw(st.sampled_from([None, NOW + offset + timedelta(hours=2)])),
                min_subtotal=draw(st.none() | money(currency, 100_000)),
                skus=frozenset(draw(st.sets(st.sampled_from("ABCDE"), max_size=2))),
                categories=frozenset(draw(st.sets(st.sampled_from(["c1", "c2"]), max_size=1))),
                buy_quantity=draw(st.integers(1, 3)),
                get_quantity=draw(st.integers(1, 3)),
                exclusive=draw(st.booleans()),
                priority=draw(st.integers(0, 3)),
                source_code=draw(st.sampled_from([None, None, "S"])),
            )
        )
    return result


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Promotion], CartSnapshot]:
    currency = draw(st.sampled_from(CURRENCIES))
    return draw(promotion_sets(currency)), draw(snapshots(currency))


def line_base(line: CartLineSnapshot, currency: str) -> Decimal:
    return round_money(line.unit_price * line.quantity, currency)


@RELAXED
@given(cases())
def test_a_discount_never_exceeds_what_it_discounts_and_is_never_negative(
    case: tuple[list[Promotion], CartSnapshot],
) -> None:
    promotions, snapshot = case
    result = apply_promotions(promotions, snapshot)
    cur = snapshot.currency
    for line in snapshot.lines:
        assert Decimal(0) <= result.lines[line.line_id] <= line_base(line, cur)
    assert Decimal(0) <= result.shipping <= round_money(snapshot.shipping, cur)
    subtotal = sum((line_base(line, cur) for line in snapshot.lines), Decimal(0))
    assert result.merchandise <= subtotal
    for applied in result.applied:
        assert applied.amount > 0
        assert all(part > 0 for part in applied.lines.values())


@RELAXED
@given(cases())
def test_totals_are_the_sum_of_their_rounded_parts(
    case: tuple[list[Promotion], CartSnapshot],
) -> None:
    promotions, snapshot = case
    result = apply_promotions(promotions, snapshot)
    cur = snapshot.currency
    every_amount = [*result.lines.values(), result.shipping, result.total]
    for applied in result.applied:
        every_amount += [applied.amount, applied.shipping, *applied.lines.values()]
    assert all(round_money(amount, cur) == amount for amount in every_amount)
    # each promotion's amount is its parts, each line's discount the promotions' parts on it
    for applied in result.applied:
        assert applied.amount == sum(applied.lines.values(), Decimal(0)) + applied.shipping
    for line_id, discount in result.lines.items():
        assert discount == sum(
            (a.lines.get(line_id, Decimal(0)) for a in result.applied), Decimal(0)
        )
    assert result.total == sum((a.amount for a in result.applied), Decimal(0))
    assert result.shipping == sum((a.shipping for a in result.applied), Decimal(0))


@RELAXED
@given(cases(), st.randoms(use_true_random=False))
def test_the_engine_is_deterministic_whatever_the_input_order(
    case: tuple[list[Promotion], CartSnapshot], rnd: random.Random
) -> None:
    promotions, snapshot = case
    first = apply_promotions(promotions, snapshot)
    shuffled_promotions = list(promotions)
    shuffled_lines = list(snapshot.lines)
    rnd.shuffle(shuffled_promotions)
    rnd.shuffle(shuffled_lines)
    again = CartSnapshot(
        snapshot.channel,
        snapshot.currency,
        tuple(shuffled_lines),
        snapshot.shipping,
        snapshot.coupon_codes,
        snapshot.source_code,
        snapshot.at,
    )
    assert apply_promotions(shuffled_promotions, again) == first
    assert apply_promotions(promotions, snapshot) == first


@RELAXED
@given(cases())
def test_coupon_errors_concern_only_entered_codes_that_gave_nothing(
    case: tuple[list[Promotion], CartSnapshot],
) -> None:
    promotions, snapshot = case
    result = apply_promotions(promotions, snapshot)
    used = {a.coupon_code for a in result.applied if a.coupon_code}
    assert set(result.coupon_errors) <= set(snapshot.coupon_codes)
    for code in snapshot.coupon_codes:
        assert (code in result.coupon_errors) == (code.strip().upper() not in used)
    assert all(result.coupon_rejections[c].code is e for c, e in result.coupon_errors.items())


@RELAXED
@given(
    st.sampled_from(CURRENCIES).flatmap(lambda c: st.tuples(st.just(c), snapshots(c))),
    st.integers(1, 10_000),
)
def test_a_lone_order_percentage_is_exactly_the_rounded_percentage_of_the_subtotal(
    case: tuple[str, CartSnapshot], basis_points: int
) -> None:
    currency, snapshot = case
    percent = Decimal(basis_points) / 100
    promotion = Promotion(1, "p", PromotionKind.ORDER_PERCENT, percent, frozenset({"web", "app"}))
    result = apply_promotions([promotion], snapshot)
    subtotal = sum((line_base(line, currency) for line in snapshot.lines), Decimal(0))
    assert result.merchandise == round_money(subtotal * percent / 100, currency)
