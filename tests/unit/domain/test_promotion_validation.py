"""promotionCreate's input rules: each bad field reported with its path, all at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode, FieldError
from domain.promotions.model import PromotionKind
from domain.promotions.validation import (
    CreatePromotion,
    build_promotion,
    create_promotion,
    validate_promotion,
)

CHANNELS = {"web": "USD", "app": "USD", "jp": "JPY"}
START = datetime(2025, 1, 1, tzinfo=UTC)


def command(
    kind: PromotionKind = PromotionKind.ORDER_PERCENT, value: str = "10", **kw: object
) -> CreatePromotion:
    base = CreatePromotion(name="Spring", kind=kind, value=Decimal(value), channels=("web",))
    return replace(base, **kw)  # type: ignore[arg-type]


def fields(errors: list[FieldError]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(e.field, e.code) for e in errors]


def test_a_well_formed_promotion_has_no_errors_and_is_built_with_normalized_codes() -> None:
    cmd = command(coupon_code=" spring10 ", source_code="news-0325", usage_limit=10)
    assert validate_promotion(cmd, CHANNELS) == []
    promotion = build_promotion(cmd, 7)
    assert (promotion.id, promotion.coupon_code, promotion.source_code) == (
        7,
        "SPRING10",
        "NEWS-0325",
    )
    assert promotion.channels == frozenset({"web"})


def test_a_negative_value_is_refused() -> None:
    errors = validate_promotion(command(PromotionKind.ORDER_FIXED, "-5"), CHANNELS)
    assert fields(errors) == [(("input", "value"), ErrorCode.INVALID)]


def test_a_percentage_over_100_or_of_zero_is_refused() -> None:
    for kind in (PromotionKind.ORDER_PERCENT, PromotionKind.LINE_PERCENT):
        assert fields(validate_promotion(command(kind, "100.01"), CHANNELS)) == [
            (("input", "value"), ErrorCode.INVALID)
        ]
        assert validate_promotion(command(kind, "0"), CHANNELS) != []
        assert validate_promotion(command(kind, "100"), CHANNELS) == []


def test_a_fixed_line_discount_above_the_price_of_a_targeted_sku_is_refused() -> None:
    cmd = command(PromotionKind.LINE_FIXED, "25", skus=("TEE",))
    errors = validate_promotion(cmd, CHANNELS, lowest_prices={"TEE": Decimal("19.90")})
    assert fields(errors) == [(("input", "value"), ErrorCode.INVALID)]
    assert "TEE" in errors[0].message
    assert validate_promotion(cmd, CHANNELS, lowest_prices={"TEE": Decimal("25")}) == []


def test_a_fixed_order_discount_above_its_minimum_subtotal_is_refused() -> None:
    cmd = command(PromotionKind.ORDER_FIXED, "30", min_subtotal=Decimal("20"))
    assert fields(validate_promotion(cmd, CHANNELS)) == [(("input", "value"), ErrorCode.INVALID)]


def test_a_fixed_amount_must_fit_the_currency_and_its_channels_share_one() -> None:
    too_precise = command(PromotionKind.ORDER_FIXED, "5.005")
    assert fields(validate_promotion(too_precise, CHANNELS)) == [
        (("input", "value"), ErrorCode.INVALID)
    ]
    mixed = command(PromotionKind.ORDER_FIXED, "5", channels=("web", "jp"))
    assert fields(validate_promotion(mixed, CHANNELS)) == [
        (("input", "channels"), ErrorCode.INVALID)
    ]
    # a percentage means the same in every currency
    assert validate_promotion(command(channels=("web", "jp")), CHANNELS) == []


def test_unknown_duplicate_and_missing_channels() -> None:
    errors = validate_promotion(command(channels=("web", "web", "moon")), CHANNELS)
    assert fields(errors) == [
        (("input", "channels", "1"), ErrorCode.INVALID),
        (("input", "channels", "2"), ErrorCode.NOT_FOUND),
    ]
    assert fields(validate_promotion(command(channels=()), CHANNELS)) == [
        (("input", "channels"), ErrorCode.INVALID)
    ]


def test_buy_x_get_y_needs_both_quantities_and_other_kinds_take_none() -> None:
    bxgy = command(PromotionKind.BUY_X_GET_Y, "100", buy_quantity=2, get_quantity=0)
    assert fields(validate_promotion(bxgy, CHANNELS)) == [
        (("input", "getQuantity"), ErrorCode.INVALID)
    ]
    assert validate_promotion(replace(bxgy, get_quantity=1), CHANNELS) == []
    stray = command(buy_quantity=2)
    assert fields(validate_promotion(stray, CHANNELS)) == [
        (("input", "buyQuantity"), ErrorCode.INVALID)
    ]


def test_dates_must_be_in_order_and_carry_an_offset() -> None:
    backwards = command(starts_at=START, ends_at=START - timedelta(days=1))
    assert fields(validate_promotion(backwards, CHANNELS)) == [
        (("input", "endsAt"), ErrorCode.INVALID)
    ]
    same = command(starts_at=START, ends_at=START)
    assert validate_promotion(same, CHANNELS) != []
    naive = command(starts_at=datetime(2025, 1, 1))
    assert fields(validate_promotion(naive, CHANNELS)) == [
        (("input", "startsAt"), ErrorCode.INVALID)
    ]


def test_order_promotions_take_no_targets_and_codes_have_a_shape() -> None:
    errors = validate_promotion(
        command(skus=("A",), coupon_code="no spaces!", usage_limit=0, name=" "), CHANNELS
    )
    assert fields(errors) == [
        (("input", "name"), ErrorCode.INVALID),
        (("input", "couponCode"), ErrorCode.INVALID),
        (("input", "usageLimit"), ErrorCode.INVALID),
        (("input", "skus"), ErrorCode.INVALID),
    ]


def test_a_negative_minimum_subtotal_is_refused() -> None:
    errors = validate_promotion(command(min_subtotal=Decimal("-1")), CHANNELS)
    assert fields(errors) == [(("input", "minSubtotal"), ErrorCode.INVALID)]


def test_create_promotion_raises_every_problem_as_one_domain_error() -> None:
    bad = command(PromotionKind.ORDER_PERCENT, "150", channels=("moon",))
    with pytest.raises(DomainError) as caught:
        create_promotion(bad, 1, CHANNELS)
    assert fields(caught.value.errors) == [
        (("input", "channels", "0"), ErrorCode.NOT_FOUND),
        (("input", "value"), ErrorCode.INVALID),
    ]
    assert create_promotion(command(), 3, CHANNELS).id == 3
