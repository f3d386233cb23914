"""Checkout against the fakes: an order placed from a cart or sent whole, with its stock,
events and customer; every refusal changes nothing and leaves no payment authorized."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.access import Actor
from domain.errors import DomainError, ErrorCode, FieldError
from domain.inventory.events import AvailabilityChanged
from domain.orders.cart import CartLineRequest
from domain.orders.commands import OrderLineRequest, PlaceOrder
from domain.orders.delivery import TransitBand
from domain.orders.events import FulfillmentStatusChanged, OrderPlaced, OrderStatusChanged
from domain.orders.handlers.place import complete_cart, place_direct
from domain.orders.lifecycle import FulfillmentMethod, OrderStatus
from domain.orders.model import Order
from domain.orders.settings import DEFAULT_DELIVERY
from domain.payments.model import PaymentStatus
from tests.unit.handlers.fakes.payments import RecordingGateway
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_world import (
    DECLINED,
    NOW,
    PARIS,
    PARTNER,
    STOREFRONT,
    assert_channel_sums_recompute,
    cart,
    complete,
    position,
    run,
    snapshot,
    world,
)

A2 = CartLineRequest("A", 2)


def errors_of(excinfo: pytest.ExceptionInfo[DomainError]) -> list[FieldError]:
    return excinfo.value.errors


def refused(
    uow: FakeUnitOfWork, gateways: dict[str, RecordingGateway], call: object
) -> list[FieldError]:
    """Run a checkout expected to fail; assert it changed nothing and holds no payment."""
    before = snapshot(uow)
    held = gateways["test"].open_authorizations
    with pytest.raises(DomainError) as excinfo:
        run(call)  # type: ignore[arg-type]
    assert snapshot(uow) == before
    assert gateways["test"].open_authorizations == held
    return errors_of(excinfo)


def test_a_cart_becomes_an_order_with_allocated_stock_events_and_a_customer() -> None:
    uow, gateways = world({("A", "lys"): 5})
    quote = cart(uow, A2)
    order = run(complete_cart(complete(quote.cart.id), STOREFRONT, uow, gateways, NOW))

    assert order.number == "WEB-1001"
    assert order.status is OrderStatus.CONFIRMED
    assert [(f.location_code, f.units) for f in order.fulfillments] == [("lys", 2)]
    assert order.totals.total == Decimal("39.98")  # free default delivery, no tax table
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.AUTHORIZED
    assert position(uow, "A", "lys").allocated == 2
    assert position(uow, "A", "lys").available == 3
    assert_channel_sums_recompute(uow)
    customer = uow.customers.by_email_["ann@example.com"]
    assert order.customer_id == customer.id
    assert uow.carts.carts[quote.cart.id].order_id == order.id
    kinds = [type(e) for e in uow.published]
    assert kinds[:3] == [OrderPlaced, OrderStatusChanged, FulfillmentStatusChanged]
    assert AvailabilityChanged in kinds
    assert {row[0] for row in uow.outbox} >= {"orders", "fulfillments", "availability"}


def test_a_declined_payment_places_nothing_and_holds_nothing() -> None:
    uow, gateways = world({("A", "lys"): 5})
    quote = cart(uow, A2)
    errors = refused(
        uow,
        gateways,
        complete_cart(complete(quote.cart.id, DECLINED), STOREFRONT, uow, gateways, NOW),
    )
    assert [(e.field, e.code) for e in errors] == [
        (("input", "payment"), ErrorCode.PAYMENT_DECLINED)
    ]


def test_not_enough_stock_is_refused_before_the_gateway_is_called() -> None:
    uow, gateways = world({("A", "lys"): 1})
    quote = cart(uow, A2)
    errors = refused(
        uow, gateways, complete_cart(complete(quote.cart.id), STOREFRONT, uow, gateways, NOW)
    )
    line_id = quote.cart.lines[0].id
    assert [(e.field, e.code) for e in errors] == [
        (("lines", line_id), ErrorCode.INSUFFICIENT_STOCK)
    ]
    assert gateways["test"].authorized == []


def test_a_plan_that_fails_under_lock_voids_the_authorization() -> None:
    # Enough units in total (the quick check passes), but the channel ships complete only.
    uow, gateways = world({("A", "lys"): 1, ("A", "lil"): 1})
    settings = run(uow.channel_settings.settings("web"))
    assert settings is not None
    uow.channel_settings.configured["web"] = replace(
        settings, sourcing=replace(settings.sourcing, max_shipments=1)
    )
    quote = cart(uow, A2)
    errors = refused(
        uow, gateways, complete_cart(complete(quote.cart.id), STOREFRONT, uow, gateways, NOW)
    )
    assert [e.code for e in errors] == [ErrorCode.INSUFFICIENT_STOCK]
    assert len(gateways["test"].authorized) == 1
    assert gateways["test"].voided == gateways["test"].authorized


def test_a_delivery_option_that_does_not_reach_the_address_is_not_offered() -> None:
    uow, gateways = world({("A", "lys"): 5})
    settings = run(uow.channel_settings.settings("web"))
    assert settings is not None
    courier = replace(DEFAULT_DELIVERY, code="courier", bands=(TransitBand(50.0, 0, 1),))
    uow.channel_settings.configured["web"] = replace(settings, delivery_options=(courier,))
    quote = cart(uow, A2)  # Lyon is ~390 km from Paris
    errors = refused(
        uow,
        gateways,
        complete_cart(
            complete(quote.cart.id, delivery_option="courier"), STOREFRONT, uow, gateways, NOW
        ),
    )
    assert [(e.field, e.code) for e in errors] == [(("input", "deliveryOption"), ErrorCode.INVALID)]
    unknown = refused(
        uow,
        gateways,
        complete_cart(
            complete(quote.cart.id, delivery_option="teleport"), STOREFRONT, uow, gateways, NOW
        ),
    )
    assert [(e.field, e.code) for e in unknown] == [
        (("input", "deliveryOption"), ErrorCode.INVALID)
    ]


def test_the_same_key_replays_and_other_input_under_it_conflicts() -> None:
    uow, gateways = world({("A", "lys"): 5})
    quote = cart(uow, A2)
    cmd = complete(quote.cart.id, idempotency_key="k-1")
    first = run(complete_cart(cmd, STOREFRONT, uow, gateways, NOW))
    again = run(complete_cart(cmd, STOREFRONT, uow, gateways, NOW))
    assert again.id == first.id
    assert len(uow.orders.orders) == 1
    assert position(uow, "A", "lys").allocated == 2
    other = replace(cmd, customer_email="bob@example.com")
    errors = refused(uow, gateways, complete_cart(other, STOREFRONT, uow, gateways, NOW))
    assert [(e.field, e.code) for e in errors] == [(("idempotencyKey",), ErrorCode.CONFLICT)]
    # Another caller's identical key is its own.
    other_caller = replace(STOREFRONT, token_id=99)
    with pytest.raises(DomainError) as excinfo:
        run(complete_cart(cmd, other_caller, uow, gateways, NOW))
    assert [e.code for e in excinfo.value.errors] == [ErrorCode.INVALID_TRANSITION]


def test_a_cart_of_another_channel_or_shopper_is_not_found() -> None:
    uow, gateways = world({("A", "lys"): 5})
    quote = cart(uow, A2)
    elsewhere = Actor(name="storefront:app", channel="app", token_id=5, kind="storefront")
    errors = refused(
        uow, gateways, complete_cart(complete(quote.cart.id), elsewhere, uow, gateways, NOW)
    )
    assert [(e.field, e.code) for e in errors] == [(("input", "cartId"), ErrorCode.NOT_FOUND)]
    stranger = Actor(
        name="customer:x", channel="web", token_id=6, kind="customer", customer="x@example.com"
    )
    errors = refused(
        uow, gateways, complete_cart(complete(quote.cart.id), stranger, uow, gateways, NOW)
    )
    assert [(e.field, e.code) for e in errors] == [(("input", "cartId"), ErrorCode.NOT_FOUND)]


def test_a_location_at_daily_capacity_takes_nothing_new() -> None:
    uow, gateways = world({("A", "lys"): 5, ("A", "lil"): 5}, capacity={"lil": 1})
    # Lille is nearer to Paris than Lyon: the first order goes there and fills it.
    first = run(complete_cart(complete(cart(uow, A2).cart.id), STOREFRONT, uow, gateways, NOW))
    second = run(complete_cart(complete(cart(uow, A2).cart.id), STOREFRONT, uow, gateways, NOW))
    assert [f.location_code for f in first.fulfillments] == ["lil"]
    assert [f.location_code for f in second.fulfillments] == ["lys"]
    lille = uow.locations.locations["lil"].id
    assert uow.stock.counters == {(lille, NOW.date()): 1}


def test_backorders_when_the_channel_allows_and_supply_is_coming() -> None:
    uow, gateways = world({("A", "lys"): 1})
    settings = run(uow.channel_settings.settings("web"))
    assert settings is not None
    uow.channel_settings.configured["web"] = replace(
        settings, sourcing=replace(settings.sourcing, allow_backorder=True)
    )
    variant = uow.catalog.variants["A"].id
    lys = uow.locations.locations["lys"].id
    expected = NOW.date().replace(day=20)
    uow.inventory.incoming.append(((variant, lys), 3, expected, "po-1"))
    order = run(complete_cart(complete(cart(uow, A2).cart.id), STOREFRONT, uow, gateways, NOW))
    assert [(b.sku, b.quantity, b.expected_on) for b in order.backorders] == [("A", 1, expected)]
    assert [f.units for f in order.fulfillments] == [1]
    # The supply is now promised: a second order may backorder only what is left (2).
    big = cart(uow, CartLineRequest("A", 3))
    with pytest.raises(DomainError) as excinfo:
        run(complete_cart(complete(big.cart.id), STOREFRONT, uow, gateways, NOW))
    assert [e.code for e in excinfo.value.errors] == [ErrorCode.INSUFFICIENT_STOCK]


def _place(*lines: OrderLineRequest, **kw: object) -> PlaceOrder:
    base: dict[str, object] = {
        "channel": "web",
        "lines": lines,
        "email": "m@example.com",
        "shipping_address": PARIS,
        "delivery_option": "standard",
    }
    return PlaceOrder(**{**base, **kw})  # type: ignore[arg-type]


def test_a_marketplace_order_keeps_its_own_price_and_needs_no_payment() -> None:
    uow, gateways = world({("A", "lys"): 5})
    order = run(
        place_direct(
            _place(
                OrderLineRequest("A", 2, Decimal("17.50")),
                external_reference="AMZ-1",
                source_code="amazon",
            ),
            PARTNER,
            uow,
            gateways,
            NOW,
        )
    )
    assert order.lines[0].unit_price == Decimal("17.50")
    assert order.payment is None
    assert order.external_reference == "AMZ-1"
    errors = refused(
        uow,
        gateways,
        place_direct(
            _place(OrderLineRequest("A", 1), external_reference="AMZ-1"),
            PARTNER,
            uow,
            gateways,
            NOW,
        ),
    )
    assert [(e.field, e.code) for e in errors] == [
        (("input", "externalReference"), ErrorCode.DUPLICATE)
    ]


def test_a_storefront_may_neither_set_prices_nor_skip_payment() -> None:
    uow, gateways = world({("A", "lys"): 5})
    errors = refused(
        uow,
        gateways,
        place_direct(
            _place(OrderLineRequest("A", 1, Decimal("0.01"))), STOREFRONT, uow, gateways, NOW
        ),
    )
    assert sorted((e.field, e.code.value) for e in errors) == [
        (("input", "lines", "0", "unitPrice"), "FORBIDDEN"),
        (("input", "payment"), "INVALID"),
    ]


def test_bad_lines_and_a_pickup_where_nobody_picks_up_are_refused_together() -> None:
    uow, gateways = world({("A", "lys"): 5})
    errors = refused(
        uow,
        gateways,
        place_direct(
            _place(
                OrderLineRequest("NOPE", 1),
                OrderLineRequest("A", 0),
                OrderLineRequest("B", 1000),
                pickup_location="lys",
                delivery_option=None,
            ),
            PARTNER,
            uow,
            gateways,
            NOW,
        ),
    )
    assert sorted((e.field, e.code.value) for e in errors) == [
        (("input", "lines", "0", "sku"), "NOT_FOUND"),
        (("input", "lines", "1", "quantity"), "INVALID"),
        (("input", "lines", "2", "quantity"), "INVALID"),
        (("input", "pickupLocation"), "INVALID"),
    ]


def test_a_pickup_order_at_the_store_is_collected_there() -> None:
    uow, gateways = world({("A", "par"): 2})
    order: Order = run(
        place_direct(
            _place(
                OrderLineRequest("A", 2),
                pickup_location="par",
                delivery_option=None,
                shipping_address=None,
            ),
            PARTNER,
            uow,
            gateways,
            NOW,
        )
    )
    assert [(f.location_code, f.method) for f in order.fulfillments] == [
        ("par", FulfillmentMethod.PICKUP)
    ]
    assert position(uow, "A", "par").allocated == 2
