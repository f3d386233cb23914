"""Carts and order input: lines, limits, pickup locations, addresses, coupons, reservations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode
from domain.locations.model import Address, GeoPoint, Location, LocationKind
from domain.orders.cart import (
    MAX_LINE_QUANTITY,
    Cart,
    CartLineRequest,
    add_lines,
    apply_coupon,
    reservation_active,
    reserve,
    set_shipping_address,
    update_line,
)
from domain.orders.commands import OrderLineRequest, PlaceOrder, place_order_errors
from domain.orders.lifecycle import FulfillmentMethod

SHIP, PICKUP = FulfillmentMethod.SHIP, FulfillmentMethod.PICKUP
PRICES = {"A": Decimal("19.99"), "B": Decimal("5.00")}
STORE = Location(1, "PAR", "Paris", LocationKind.STORE, None, True, True, None, 0)
DEPOT = Location(2, "DEP", "Depot", LocationKind.WAREHOUSE, None, True, False, None, 0)
LOCATIONS = {"PAR": STORE, "DEP": DEPOT}
NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)


def empty() -> Cart:
    return Cart("c1", "web", "EUR")


def errors_of(raised: pytest.ExceptionInfo[DomainError]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(e.field, e.code) for e in raised.value.errors]


def test_lines_are_added_and_the_same_sku_and_method_adds_up() -> None:
    cart = add_lines(empty(), [CartLineRequest("A", 1), CartLineRequest("B", 2)], PRICES, LOCATIONS)
    cart = add_lines(
        cart, [CartLineRequest("A", 2), CartLineRequest("A", 1, PICKUP, "PAR")], PRICES, LOCATIONS
    )
    assert [
        (ln.id, ln.sku, ln.quantity, ln.method, ln.pickup_location_id) for ln in cart.lines
    ] == [
        ("1", "A", 3, SHIP, None),
        ("2", "B", 2, SHIP, None),
        ("3", "A", 1, PICKUP, 1),
    ]


def test_bad_lines_are_all_reported_and_the_cart_is_unchanged() -> None:
    cart = add_lines(empty(), [CartLineRequest("A", 1)], PRICES, LOCATIONS)
    requests = [
        CartLineRequest("NOPE", 1),
        CartLineRequest("A", 0),
        CartLineRequest("A", MAX_LINE_QUANTITY + 1),
        CartLineRequest("A", 1, PICKUP),
        CartLineRequest("A", 1, PICKUP, "DEP"),
        CartLineRequest("A", 1, PICKUP, "MARS"),
        CartLineRequest("A", 1, SHIP, "PAR"),
    ]
    with pytest.raises(DomainError) as raised:
        add_lines(cart, requests, PRICES, LOCATIONS)
    assert errors_of(raised) == [
        (("lines", "0", "sku"), ErrorCode.NOT_FOUND),
        (("lines", "1", "quantity"), ErrorCode.INVALID),
        (("lines", "2", "quantity"), ErrorCode.INVALID),
        (("lines", "3", "pickupLocation"), ErrorCode.INVALID),
        (("lines", "4", "pickupLocation"), ErrorCode.INVALID),
        (("lines", "5", "pickupLocation"), ErrorCode.NOT_FOUND),
        (("lines", "6", "pickupLocation"), ErrorCode.INVALID),
    ]
    assert [(ln.sku, ln.quantity) for ln in cart.lines] == [("A", 1)]


def test_adding_to_a_line_beyond_the_maximum_is_refused() -> None:
    cart = add_lines(empty(), [CartLineRequest("A", MAX_LINE_QUANTITY)], PRICES, LOCATIONS)
    with pytest.raises(DomainError) as raised:
        add_lines(cart, [CartLineRequest("A", 1)], PRICES, LOCATIONS)
    assert errors_of(raised) == [(("lines", "0", "quantity"), ErrorCode.INVALID)]


def test_a_line_is_updated_removed_at_zero_and_unknown_lines_are_not_found() -> None:
    cart = add_lines(empty(), [CartLineRequest("A", 1), CartLineRequest("B", 1)], PRICES, LOCATIONS)
    cart = update_line(cart, "1", 4)
    assert [(ln.sku, ln.quantity) for ln in cart.lines] == [("A", 4), ("B", 1)]
    cart = update_line(cart, "1", 0)
    assert [ln.sku for ln in cart.lines] == ["B"]
    with pytest.raises(DomainError) as unknown:
        update_line(cart, "1", 2)
    assert errors_of(unknown) == [(("lineId",), ErrorCode.NOT_FOUND)]
    with pytest.raises(DomainError) as negative:
        update_line(cart, "2", -1)
    assert errors_of(negative) == [(("quantity",), ErrorCode.INVALID)]


def test_a_shipping_address_is_checked_field_by_field() -> None:
    good = Address("1 rue X", "Paris", "75001", "FR", geo=GeoPoint(48.8, 2.3))
    assert set_shipping_address(empty(), good).shipping_address == good
    bad = Address(" ", "", "75001", "France", geo=GeoPoint(91, 2.3))
    with pytest.raises(DomainError) as raised:
        set_shipping_address(empty(), bad)
    assert [e.field for e in raised.value.errors] == [
        ("address", "line1"),
        ("address", "city"),
        ("address", "country"),
        ("address", "geo", "latitude"),
    ]


def test_coupon_codes_are_stored_once_upper_cased_up_to_five() -> None:
    cart = apply_coupon(empty(), " summer10 ")
    cart = apply_coupon(cart, "SUMMER10")
    assert cart.coupon_codes == ("SUMMER10",)
    for code in ("A", "B", "C", "D"):
        cart = apply_coupon(cart, code)
    with pytest.raises(DomainError) as too_many:
        apply_coupon(cart, "E")
    assert errors_of(too_many) == [(("code",), ErrorCode.INVALID)]
    with pytest.raises(DomainError) as garbage:
        apply_coupon(empty(), "no spaces please")
    assert errors_of(garbage) == [(("code",), ErrorCode.INVALID)]


def test_a_reservation_holds_until_its_ttl_and_needs_lines() -> None:
    with pytest.raises(DomainError) as nothing:
        reserve(empty(), NOW, 900)
    assert errors_of(nothing) == [(("cartId",), ErrorCode.INVALID)]
    cart = add_lines(empty(), [CartLineRequest("A", 1)], PRICES, LOCATIONS)
    held = reserve(cart, NOW, 900)
    assert held.reserved_until == NOW + timedelta(seconds=900)
    assert reservation_active(held, NOW + timedelta(seconds=899))
    assert not reservation_active(held, NOW + timedelta(seconds=900))
    for ttl in (0, 59, 7201):
        with pytest.raises(DomainError):
            reserve(cart, NOW, ttl)


def test_a_completed_cart_cannot_change() -> None:
    cart = Cart("c1", "web", "EUR", completed=True)
    with pytest.raises(DomainError) as raised:
        add_lines(cart, [CartLineRequest("A", 1)], PRICES, LOCATIONS)
    assert errors_of(raised) == [(("cartId",), ErrorCode.INVALID_TRANSITION)]


def test_order_place_input_is_checked_before_anything_happens() -> None:
    ok = PlaceOrder(
        "marketplace",
        (OrderLineRequest("A", 2),),
        shipping_address=Address("1 rue X", "Paris", "75001", "FR"),
    )
    assert place_order_errors(ok, PRICES, LOCATIONS) == []
    marketplace_price = PlaceOrder(
        "pos", (OrderLineRequest("ZZZ", 1, Decimal("3.00")),), pickup_location="PAR"
    )
    assert place_order_errors(marketplace_price, PRICES, LOCATIONS) == []
    bad = PlaceOrder(
        "pos",
        (OrderLineRequest("NOPE", 0), OrderLineRequest("A", 1, Decimal("-1"))),
        pickup_location="DEP",
    )
    assert [(e.field, e.code) for e in place_order_errors(bad, PRICES, LOCATIONS)] == [
        (("input", "lines", "0", "sku"), ErrorCode.NOT_FOUND),
        (("input", "lines", "0", "quantity"), ErrorCode.INVALID),
        (("input", "lines", "1", "unitPrice"), ErrorCode.INVALID),
        (("input", "pickupLocation"), ErrorCode.INVALID),
    ]
    nowhere = PlaceOrder("callcenter", ())
    assert [e.field for e in place_order_errors(nowhere, PRICES, LOCATIONS)] == [
        ("input", "lines"),
        ("input", "shippingAddress"),
    ]
