"""Carts through HTTP: lines, totals, address, coupons, promises, holds and their expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from persistence.tables import carts, reservations
from resolvers.carts import parse_cart_id
from tests.api.shop import (
    CART_ADDRESS,
    CART_COUPON,
    CART_CREATE,
    CART_LINE_UPDATE,
    CART_LINES_ADD,
    CART_QUERY,
    CART_RESERVE,
    PARIS,
    PROMISES,
    SETTINGS,
    shop,
)
from tests.api.test_promotions import CREATE as PROMOTION_CREATE
from tests.conftest import Api, unique


def money(cart: dict[str, Any], name: str) -> str:
    return str(cart[name]["amount"])


def test_a_cart_is_built_line_by_line_with_totals_at_the_channel_price(api: Api) -> None:
    s = shop(api)
    a, b = s.skus
    cart = s.cart([{"sku": a, "quantity": 1}])
    assert cart["currency"] == "EUR"
    assert cart["email"] == "ann@example.com"
    added = s.storefront(
        CART_LINES_ADD,
        {"cart": cart["id"], "lines": [{"sku": a, "quantity": 2}, {"sku": b, "quantity": 1}]},
    )["cartLinesAdd"]
    assert added["userErrors"] == []
    lines = added["cart"]["lines"]
    assert [(ln["variant"]["sku"], ln["quantity"], ln["total"]["amount"]) for ln in lines] == [
        (a, 3, "59.97"),
        (b, 1, "5.00"),
    ]
    assert money(added["cart"], "subtotal") == "64.97"
    assert money(added["cart"], "total") == "64.97"
    updated = s.storefront(
        CART_LINE_UPDATE, {"cart": cart["id"], "line": lines[1]["id"], "quantity": 0}
    )["cartLineUpdate"]
    assert [ln["variant"]["sku"] for ln in updated["cart"]["lines"]] == [a]
    code = unique("summer").replace("-", "_")
    refused = s.storefront(CART_COUPON, {"cart": cart["id"], "code": f" {code} "})
    assert [e["code"] for e in refused["cartCouponApply"]["userErrors"]] == ["COUPON_INVALID"]
    promotion = {"name": "Summer", "kind": "ORDER_PERCENT", "value": "10", "couponCode": code}
    created = api(PROMOTION_CREATE, {"input": {**promotion, "channels": [s.channel]}})
    assert created["promotionCreate"]["userErrors"] == []
    coupon = s.storefront(CART_COUPON, {"cart": cart["id"], "code": f" {code} "})["cartCouponApply"]
    assert coupon["cart"]["couponCodes"] == [code.upper()]
    assert money(coupon["cart"], "discountTotal") == "6.00"  # 10 % of 59.97
    assert money(coupon["cart"], "total") == "53.97"
    moved = s.storefront(CART_ADDRESS, {"cart": cart["id"], "address": {**PARIS, "city": "Lyon"}})[
        "cartShippingAddressSet"
    ]
    assert moved["cart"]["shippingAddress"] == {"city": "Lyon", "country": "FR"}
    again = s.storefront(CART_QUERY, {"id": cart["id"]})["cart"]
    assert again == moved["cart"]


def test_tax_follows_the_channel_table_and_the_destination(api: Api) -> None:
    s = shop(api)
    taxes = {"pricesIncludeTax": True, "rules": [{"country": "FR", "rate": "0.20"}]}
    result = api(SETTINGS, {"channel": s.channel, "input": {"taxes": taxes}})
    assert result["channelOrderSettingsSet"]["userErrors"] == []
    cart = s.cart([{"sku": s.skus[0], "quantity": 2}])
    # 39.98 includes 20 % VAT: 39.98 * 0.2 / 1.2 = 6.663.. -> 6.66; the total stays 39.98.
    assert (money(cart, "total"), money(cart, "taxTotal")) == ("39.98", "6.66")
    abroad = s.storefront(
        CART_ADDRESS, {"cart": cart["id"], "address": {**PARIS, "country": "US"}}
    )["cartShippingAddressSet"]["cart"]
    assert (money(abroad, "total"), money(abroad, "taxTotal")) == ("39.98", "0.00")


def test_bad_lines_are_refused_with_every_problem_and_no_cart(api: Api) -> None:
    s = shop(api)
    result = s.storefront(
        CART_CREATE,
        {
            "input": {
                "channel": s.channel,
                "customerEmail": "nope",
                "lines": [
                    {"sku": "NO-SUCH-SKU", "quantity": 1},
                    {"sku": s.skus[0], "quantity": 0},
                    {"sku": s.skus[0], "quantity": 1000},
                    {
                        "sku": s.skus[1],
                        "quantity": 1,
                        "method": "PICKUP",
                        "pickupLocation": s.warehouse,
                    },
                ],
            }
        },
    )["cartCreate"]
    assert result["cart"] is None
    assert sorted((tuple(e["field"]), e["code"]) for e in result["userErrors"]) == [
        (("input", "customerEmail"), "INVALID"),
        (("input", "lines", "0", "sku"), "NOT_FOUND"),
        (("input", "lines", "1", "quantity"), "INVALID"),
        (("input", "lines", "2", "quantity"), "INVALID"),
        (("input", "lines", "3", "pickupLocation"), "INVALID"),
    ]


def test_promises_list_delivery_pickup_and_a_promise_per_line(api: Api) -> None:
    s = shop(api, stock_counts=(10, 1))
    a, b = s.skus
    cart = s.cart(
        [{"sku": a, "quantity": 2}, {"sku": b, "quantity": 1}],
    )
    found = s.storefront(PROMISES, {"id": cart["id"]})["cart"]["promises"]
    [standard] = found["deliveryOptions"]
    assert standard["code"] == "standard"
    assert standard["price"] == {"amount": "0.00", "currency": "EUR"}
    assert standard["shipmentCount"] == 1  # both ship from the warehouse in one parcel
    assert standard["estimatedDeliveryFrom"] <= standard["estimatedDeliveryTo"]
    [pickup] = found["pickupOptions"]
    assert pickup["location"]["code"] == s.store
    assert pickup["allLinesAvailable"] is False
    assert sorted(pickup["unavailableSkus"]) == sorted([a, b])
    assert [(p["sku"], p["shipAvailable"]) for p in found["lines"]] == [(a, True), (b, True)]
    near = s.storefront(
        PROMISES, {"id": cart["id"], "near": {"latitude": 48.86, "longitude": 2.35}}
    )["cart"]["promises"]
    assert near["pickupOptions"][0]["distanceKm"] < 5


def test_a_hold_takes_units_off_the_feed_and_expires_by_itself(
    api: Api, client: TestClient
) -> None:
    s = shop(api, stock_counts=(3, 0))
    sku = s.skus[0]
    cart = s.cart([{"sku": sku, "quantity": 2}])
    held = s.storefront(CART_RESERVE, {"cart": cart["id"], "ttl": 60})["cartReserve"]
    assert held["userErrors"] == []
    until = datetime.fromisoformat(held["cart"]["reservedUntil"])
    assert timedelta(seconds=55) < until - datetime.now(UTC) <= timedelta(seconds=60)
    assert s.positions(sku)[s.warehouse]["reserved"] == 2
    assert s.atp(sku) == 1
    too_short = s.storefront(CART_RESERVE, {"cart": cart["id"], "ttl": 5})["cartReserve"]
    assert [(e["field"], e["code"]) for e in too_short["userErrors"]] == [
        (["ttlSeconds"], "INVALID")
    ]
    # Time passes: the hold is now expired. Nobody calls anything; the server's sweeper
    # gives the units back.
    services = client.app.state.services  # type: ignore[attr-defined]

    async def expire() -> None:
        past = datetime.now(UTC) - timedelta(seconds=1)
        key = parse_cart_id(cart["id"])
        async with services.db.engine.begin() as conn:
            await conn.execute(
                update(reservations).where(reservations.c.cart_id == key).values(expires_at=past)
            )
            await conn.execute(update(carts).where(carts.c.id == key).values(reserved_until=past))

    portal = client.portal
    assert portal is not None
    portal.call(expire)
    deadline = time.monotonic() + 10
    while s.atp(sku) != 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert s.atp(sku) == 3
    assert s.positions(sku)[s.warehouse]["reserved"] == 0
    assert s.storefront(CART_QUERY, {"id": cart["id"]})["cart"]["reservedUntil"] is None


def test_a_hold_that_cannot_be_filled_holds_nothing(api: Api) -> None:
    s = shop(api, stock_counts=(1, 0))
    cart = s.cart([{"sku": s.skus[0], "quantity": 2}])
    result = s.storefront(CART_RESERVE, {"cart": cart["id"], "ttl": 120})["cartReserve"]
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["lines", cart["lines"][0]["id"]], "INSUFFICIENT_STOCK")
    ]
    assert s.positions(s.skus[0])[s.warehouse]["reserved"] == 0
