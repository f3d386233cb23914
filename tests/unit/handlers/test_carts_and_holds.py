"""Carts and holds against the fakes: edits, totals, promises, cartReserve and expiry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.access import SYSTEM, Actor
from domain.errors import DomainError, ErrorCode
from domain.inventory.events import AvailabilityChanged
from domain.locations.model import GeoPoint
from domain.orders.cart import CartLineRequest
from domain.orders.commands import (
    AddCartLines,
    ApplyCartCoupon,
    CreateCart,
    ReserveCart,
    UpdateCartLine,
)
from domain.orders.handlers.carts import (
    add_cart_lines,
    apply_cart_coupon,
    create_cart,
    promises,
    update_cart_line,
    view_cart,
)
from domain.orders.handlers.place import complete_cart
from domain.orders.handlers.reservations import release_expired_holds, reserve_cart
from domain.orders.lifecycle import FulfillmentMethod
from domain.promotions.handlers import create_promotion
from domain.promotions.model import PromotionKind
from domain.promotions.validation import CreatePromotion
from tests.unit.handlers.order_world import (
    NOW,
    STOREFRONT,
    assert_channel_sums_recompute,
    cart,
    complete,
    position,
    run,
    snapshot,
    world,
)

PICKUP = FulfillmentMethod.PICKUP


def test_lines_merge_and_totals_add_up_at_the_channel_price() -> None:
    uow, _ = world({("A", "lys"): 5})
    quote = cart(uow, CartLineRequest("A", 1))
    quote = run(
        add_cart_lines(
            AddCartLines(quote.cart.id, (CartLineRequest("A", 2), CartLineRequest("B", 1))),
            STOREFRONT,
            uow,
            NOW,
        )
    )
    assert [(ln.sku, ln.quantity) for ln in quote.cart.lines] == [("A", 3), ("B", 1)]
    assert quote.totals.subtotal == Decimal("64.97")
    assert quote.totals.total == Decimal("64.97")
    line = quote.cart.lines[1].id
    quote = run(update_cart_line(UpdateCartLine(quote.cart.id, line, 0), STOREFRONT, uow, NOW))
    assert [ln.sku for ln in quote.cart.lines] == ["A"]
    with pytest.raises(DomainError) as unknown:
        run(apply_cart_coupon(ApplyCartCoupon(quote.cart.id, " save10 "), STOREFRONT, uow, NOW))
    assert [(e.field, e.code) for e in unknown.value.errors] == [
        (("code",), ErrorCode.COUPON_INVALID)
    ]
    run(
        create_promotion(
            CreatePromotion(
                "Save 10", PromotionKind.ORDER_PERCENT, Decimal(10), ("web",), "save10"
            ),
            SYSTEM,
            uow,
            NOW,
        )
    )
    quote = run(apply_cart_coupon(ApplyCartCoupon(quote.cart.id, " save10 "), STOREFRONT, uow, NOW))
    assert quote.cart.coupon_codes == ("SAVE10",)
    assert quote.totals.discount_total == Decimal("6.00")  # 10 % of 59.97, rounded
    assert quote.totals.total == Decimal("53.97")


def test_bad_lines_change_nothing_and_name_every_problem() -> None:
    uow, _ = world()
    before = snapshot(uow)
    with pytest.raises(DomainError) as excinfo:
        run(
            create_cart(
                CreateCart(
                    "web",
                    (
                        CartLineRequest("NOPE", 1),
                        CartLineRequest("A", -1),
                        CartLineRequest("B", 1, PICKUP, "lys"),
                        CartLineRequest("C", 1, PICKUP, "nowhere"),
                    ),
                    "not-an-email",
                ),
                STOREFRONT,
                uow,
                NOW,
            )
        )
    assert sorted((e.field, e.code.value) for e in excinfo.value.errors) == [
        (("input", "customerEmail"), "INVALID"),
        (("input", "lines", "0", "sku"), "NOT_FOUND"),
        (("input", "lines", "1", "quantity"), "INVALID"),
        (("input", "lines", "2", "pickupLocation"), "INVALID"),
        (("input", "lines", "3", "pickupLocation"), "NOT_FOUND"),
    ]
    assert snapshot(uow) == before


def test_a_customer_token_binds_its_cart_and_nobody_else_sees_it() -> None:
    uow, _ = world()
    ann = Actor(name="customer:ann", token_id=7, kind="customer", customer="ann@example.com")
    quote = run(create_cart(CreateCart("web", customer_email=None), ann, uow, NOW))
    assert quote.cart.email == "ann@example.com"
    bob = Actor(name="customer:bob", token_id=8, kind="customer", customer="bob@example.com")
    assert run(view_cart(quote.cart.id, bob, uow)) is None
    assert run(view_cart(quote.cart.id, ann, uow)) is not None
    with pytest.raises(DomainError) as excinfo:
        run(create_cart(CreateCart("web", customer_email="bob@example.com"), ann, uow, NOW))
    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        (("input", "customerEmail"), ErrorCode.FORBIDDEN)
    ]


def test_promises_offer_delivery_pickup_and_a_promise_per_line() -> None:
    uow, _ = world({("A", "lys"): 5, ("A", "par"): 1, ("B", "lil"): 2})
    quote = cart(uow, CartLineRequest("A", 2), CartLineRequest("B", 1))
    found = run(promises(quote, None, uow, NOW))
    [standard] = found.delivery_options
    assert standard.code == "standard"
    assert standard.shipment_count == 2  # A from Lyon, B from Lille
    [store] = found.pickup_options
    assert store.location.code == "par"
    assert store.unavailable_skus == ("A", "B")  # one A there, two wanted; no B
    assert [(p.sku, p.ship_available, p.pickup_locations) for p in found.lines] == [
        ("A", True, 0),
        ("B", True, 0),
    ]
    near = run(promises(quote, GeoPoint(48.87, 2.33), uow, NOW))
    assert near.pickup_options[0].distance_km is not None


def test_a_hold_takes_units_from_others_until_it_expires() -> None:
    uow, gateways = world({("A", "lys"): 2})
    mine = cart(uow, CartLineRequest("A", 2))
    held = run(reserve_cart(ReserveCart(mine.cart.id, 60), STOREFRONT, uow, NOW))
    assert held.cart.reserved_until == NOW + timedelta(seconds=60)
    assert position(uow, "A", "lys").reserved == 2
    assert [e.available for e in uow.published if isinstance(e, AvailabilityChanged)] == [0]
    assert_channel_sums_recompute(uow)

    theirs = cart(uow, CartLineRequest("A", 1))
    with pytest.raises(DomainError) as excinfo:
        run(complete_cart(complete(theirs.cart.id), STOREFRONT, uow, gateways, NOW))
    assert [e.code for e in excinfo.value.errors] == [ErrorCode.INSUFFICIENT_STOCK]

    # Nothing is released before expiry; after it the sweeper gives the units back.
    assert run(release_expired_holds(uow, NOW + timedelta(seconds=59))) == 0
    uow.published.clear()
    assert run(release_expired_holds(uow, NOW + timedelta(seconds=60))) == 1
    assert position(uow, "A", "lys").reserved == 0
    assert [e.available for e in uow.published if isinstance(e, AvailabilityChanged)] == [2]
    assert_channel_sums_recompute(uow)
    order = run(complete_cart(complete(theirs.cart.id), STOREFRONT, uow, gateways, NOW))
    assert order.fulfillments[0].units == 1


def test_the_cart_that_holds_units_checks_out_with_them() -> None:
    uow, gateways = world({("A", "lys"): 2})
    mine = cart(uow, CartLineRequest("A", 2))
    run(reserve_cart(ReserveCart(mine.cart.id, 60), STOREFRONT, uow, NOW))
    order = run(complete_cart(complete(mine.cart.id), STOREFRONT, uow, gateways, NOW))
    assert order.fulfillments[0].units == 2
    assert position(uow, "A", "lys").reserved == 0
    assert position(uow, "A", "lys").allocated == 2
    assert uow.stock.holds_by_id == {}
    assert_channel_sums_recompute(uow)


def test_an_expired_unswept_hold_is_released_by_whoever_locks_the_position() -> None:
    uow, gateways = world({("A", "lys"): 2})
    mine = cart(uow, CartLineRequest("A", 2))
    run(reserve_cart(ReserveCart(mine.cart.id, 60), STOREFRONT, uow, NOW))
    theirs = cart(uow, CartLineRequest("A", 2))
    with pytest.raises(DomainError):  # held, not expired
        run(complete_cart(complete(theirs.cart.id), STOREFRONT, uow, gateways, NOW))
    # Expired, and no sweep ran: the next checkout locking the position releases it.
    later = NOW + timedelta(minutes=5)
    order = run(complete_cart(complete(theirs.cart.id), STOREFRONT, uow, gateways, later))
    assert order.fulfillments[0].units == 2
    assert position(uow, "A", "lys").reserved == 0
    assert position(uow, "A", "lys").allocated == 2
    assert uow.stock.holds_by_id == {}
    assert_channel_sums_recompute(uow)
    with pytest.raises(DomainError) as excinfo:
        run(complete_cart(complete(mine.cart.id), STOREFRONT, uow, gateways, later))
    assert [e.code for e in excinfo.value.errors] == [ErrorCode.INSUFFICIENT_STOCK]


def test_editing_the_lines_of_a_reserved_cart_releases_its_hold() -> None:
    uow, _ = world({("A", "lys"): 2})
    mine = cart(uow, CartLineRequest("A", 2))
    run(reserve_cart(ReserveCart(mine.cart.id, 60), STOREFRONT, uow, NOW))
    line = mine.cart.lines[0].id
    quote = run(update_cart_line(UpdateCartLine(mine.cart.id, line, 1), STOREFRONT, uow, NOW))
    assert quote.cart.reserved_until is None
    assert position(uow, "A", "lys").reserved == 0
    assert_channel_sums_recompute(uow)


def test_a_hold_is_all_or_nothing() -> None:
    uow, _ = world({("A", "lys"): 1})
    mine = cart(uow, CartLineRequest("A", 1), CartLineRequest("B", 1))
    before = snapshot(uow)
    with pytest.raises(DomainError) as excinfo:
        run(reserve_cart(ReserveCart(mine.cart.id, 60), STOREFRONT, uow, NOW))
    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        (("lines", mine.cart.lines[1].id), ErrorCode.INSUFFICIENT_STOCK)
    ]
    assert snapshot(uow) == before
    with pytest.raises(DomainError) as excinfo:
        run(reserve_cart(ReserveCart(mine.cart.id, 5), STOREFRONT, uow, NOW))
    assert [(e.field, e.code) for e in excinfo.value.errors] == [
        (("ttlSeconds",), ErrorCode.INVALID)
    ]
