"""Promotions against the fakes: promotionCreate, discounts on cart totals and at checkout,
counted uses, and a use lost between pricing and the counted use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.access import SYSTEM, Actor
from domain.errors import DomainError, ErrorCode
from domain.orders.cart import CartLineRequest
from domain.orders.commands import ApplyCartCoupon, OrderLineRequest, PlaceOrder
from domain.orders.handlers.carts import apply_cart_coupon
from domain.orders.handlers.place import complete_cart, place_direct
from domain.promotions.handlers import create_promotion
from domain.promotions.model import Promotion, PromotionKind
from domain.promotions.validation import CreatePromotion
from tests.unit.handlers.fakes.promotions import FakePromotions
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_world import (
    NOW,
    PARIS,
    STOREFRONT,
    cart,
    complete,
    run,
    snapshot,
    world,
)


def promotion(uow: FakeUnitOfWork, kind: PromotionKind, value: str, **kw: object) -> Promotion:
    cmd = CreatePromotion(kw.pop("name", "P"), kind, Decimal(value), ("web",), **kw)  # type: ignore[arg-type]
    return run(create_promotion(cmd, SYSTEM, uow, NOW))


def test_create_stores_a_normalized_promotion_and_bad_input_stores_nothing() -> None:
    uow, _ = world()
    made = promotion(uow, PromotionKind.LINE_FIXED, "2.50", coupon_code=" ab-1 ", skus=("A",))
    assert made == uow.promotions.promotions[made.id]
    assert (made.coupon_code, made.value, made.channels) == (
        "AB-1",
        Decimal("2.5"),
        frozenset({"web"}),
    )
    before = dict(uow.promotions.promotions)
    with pytest.raises(DomainError) as refused:
        promotion(uow, PromotionKind.LINE_FIXED, "25.00", coupon_code="ab-1", skus=("A",))
    assert sorted((e.field, e.code) for e in refused.value.errors) == [
        (("input", "couponCode"), ErrorCode.DUPLICATE),
        (("input", "value"), ErrorCode.INVALID),  # above A's price (19.99)
    ]
    with pytest.raises(DomainError) as precise:
        promotion(uow, PromotionKind.ORDER_PERCENT, "12.34567")
    assert [e.field for e in precise.value.errors] == [("input", "value")]
    assert uow.promotions.promotions == before


def test_a_channel_bound_token_creates_promotions_of_its_channel_only() -> None:
    uow, _ = world()
    other = Actor(name="admin:other", channel="elsewhere", token_id=9, kind="admin")
    with pytest.raises(DomainError) as refused:
        run(
            create_promotion(
                CreatePromotion("P", PromotionKind.FREE_SHIPPING, Decimal(0), ("web",)),
                other,
                uow,
                NOW,
            )
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (("input", "channels", "0"), ErrorCode.NOT_FOUND)
    ]


def test_cart_totals_and_the_order_carry_the_discounts_and_the_use_is_counted() -> None:
    uow, gateways = world({("A", "lys"): 10, ("B", "lys"): 10})
    automatic = promotion(uow, PromotionKind.LINE_PERCENT, "10", skus=("A",))
    limited = promotion(uow, PromotionKind.ORDER_FIXED, "5.00", coupon_code="FIVE", usage_limit=2)
    quote = cart(uow, CartLineRequest("A", 2), CartLineRequest("B", 1))
    quote = run(apply_cart_coupon(ApplyCartCoupon(quote.cart.id, "five"), STOREFRONT, uow, NOW))
    # A: 39.98 - 4.00 = 35.98; then 5.00 over 35.98 + 5.00 by what is left of each line
    lines = {p.sku: p.discount for p in quote.totals.lines}
    assert lines == {"A": Decimal("8.39"), "B": Decimal("0.61")}
    assert (quote.totals.discount_total, quote.totals.total) == (Decimal("9.00"), Decimal("35.98"))
    order = run(complete_cart(complete(quote.cart.id), STOREFRONT, uow, gateways, NOW))
    assert {line.sku: line.discount for line in order.lines} == lines
    assert (order.totals.discount_total, order.totals.total) == (Decimal("9.00"), Decimal("35.98"))
    assert uow.promotions.promotions[limited.id].times_used == 1
    assert uow.promotions.promotions[automatic.id].times_used == 0  # unlimited: not counted
    assert uow.promotions.redemptions == {
        (automatic.id, order.id): Decimal("4.00"),
        (limited.id, order.id): Decimal("5.00"),
    }


def test_a_coupon_that_no_longer_applies_refuses_the_checkout_and_changes_nothing() -> None:
    uow, gateways = world({("A", "lys"): 10})
    promotion(
        uow, PromotionKind.ORDER_PERCENT, "10", coupon_code="SOON", ends_at=NOW + timedelta(hours=1)
    )
    quote = cart(uow, CartLineRequest("A", 1))
    run(apply_cart_coupon(ApplyCartCoupon(quote.cart.id, "soon"), STOREFRONT, uow, NOW))
    before = snapshot(uow)
    later = NOW + timedelta(hours=2)
    with pytest.raises(DomainError) as refused:
        run(complete_cart(complete(quote.cart.id), STOREFRONT, uow, gateways, later))
    [error] = refused.value.errors
    assert (error.field, error.code) == (("input", "cartId"), ErrorCode.COUPON_INVALID)
    assert "expired" in error.message
    assert snapshot(uow) == before
    assert gateways["test"].open_authorizations == set()  # refused before any authorization


class LostRace(FakePromotions):
    """Another checkout took the last use between this one's pricing and its counted use."""

    async def redeem(self, promotion_id: int) -> bool:
        return False


@pytest.mark.parametrize("coupon", [None, "LAST"])
def test_a_use_lost_to_a_concurrent_checkout_refuses_the_order(coupon: str | None) -> None:
    uow, gateways = world({("A", "lys"): 10})
    uow.promotions = LostRace()
    promotion(uow, PromotionKind.ORDER_PERCENT, "50", coupon_code=coupon, usage_limit=1)
    before = snapshot(uow)
    cmd = PlaceOrder(
        "web",
        (OrderLineRequest("A", 1),),
        email="ann@example.com",
        shipping_address=PARIS,
        coupon_codes=(coupon.lower(),) if coupon else (),
    )
    with pytest.raises(DomainError) as refused:
        run(place_direct(cmd, SYSTEM, uow, gateways, NOW))
    expected = (
        (("input", "couponCodes", "0"), ErrorCode.COUPON_EXHAUSTED)
        if coupon
        else (("input",), ErrorCode.CONFLICT)
    )
    assert [(e.field, e.code) for e in refused.value.errors] == [expected]
    assert snapshot(uow) == before
    assert uow.promotions.promotions[1].times_used == 0


def test_what_storage_could_not_hold_is_refused_as_input() -> None:
    uow, _ = world()
    far = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    cmd = CreatePromotion(
        "a\x00b",
        PromotionKind.LINE_FIXED,
        Decimal("1e14"),
        ("web",),
        starts_at=far,
        skus=("A" * 65, "ok"),
        min_subtotal=Decimal("1e1000000"),
    )
    with pytest.raises(DomainError) as refused:
        run(create_promotion(cmd, SYSTEM, uow, NOW))
    assert sorted(e.field for e in refused.value.errors) == [
        ("input", "minSubtotal"),
        ("input", "name"),
        ("input", "skus", "0"),
        ("input", "startsAt"),
        ("input", "value"),
    ]
    assert uow.promotions.promotions == {}
    for kind in (PromotionKind.ORDER_FIXED, PromotionKind.ORDER_PERCENT):
        with pytest.raises(DomainError) as huge:
            promotion(uow, kind, "1e30")
        assert [e.field for e in huge.value.errors] == [("input", "value")]
