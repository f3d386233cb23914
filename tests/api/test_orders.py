"""Checkout and orders through HTTP: cartComplete, orderPlace, idempotency, refusals that
change nothing, order queries and filters, customers, node(id:)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from persistence.tables import orders
from resolvers.orders import parse_order_id
from tests import factories
from tests.api.shop import (
    CART_QUERY,
    DECLINED,
    OK,
    ORDER_PLACE,
    ORDER_QUERY,
    ORDERS,
    PARIS,
    SETTINGS,
    Shop,
    shop,
)
from tests.conftest import Api, unique

CUSTOMER = """query($email: String!, $first: Int, $after: String) { customer(email: $email) {
  id email orders(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { number } } } returns { id } } }"""
NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on Order { number } ... on Fulfillment { status } ... on Customer { email }
  ... on Cart { currency } } }"""


def errors(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"]), e["code"]) for e in payload["userErrors"]]


def unchanged(s: Shop, email: str) -> dict[str, Any]:
    """What a refused checkout must leave as it was."""
    found = s.api(ORDERS, {"filter": {"customerEmail": email}})["orders"]["totalCount"]
    return {"positions": s.positions(s.skus[0]), "atp": s.atp(s.skus[0]), "orders": found}


def test_a_cart_checks_out_into_a_confirmed_order(api: Api) -> None:
    s = shop(api)
    sku = s.skus[0]
    cart = s.cart([{"sku": sku, "quantity": 2}])
    result = s.complete(cart["id"])
    assert result["userErrors"] == []
    order = result["order"]
    assert order["number"] == f"{s.channel.upper()}-1001"
    assert order["status"] == "CONFIRMED"
    assert order["channel"] == {"code": s.channel}
    assert [(ln["sku"], ln["quantity"], ln["total"]["amount"]) for ln in order["lines"]] == [
        (sku, 2, "39.98")
    ]
    [fulfillment] = order["fulfillments"]
    assert fulfillment["status"] == "ASSIGNED"
    assert fulfillment["lines"] == [{"sku": sku, "quantity": 2}]
    assert order["total"] == {"amount": "39.98", "currency": "EUR"}
    assert [h["type"] for h in order["history"]][:2] == ["PLACED", "FULFILLMENT_ASSIGNED"]
    # The storefront that placed it does not see the shopper's data (customers:read)...
    assert "email" not in order
    # ...the admin does, with the payment authorized for the total.
    full = api(ORDER_QUERY, {"id": order["id"]})["order"]
    assert full["email"] == "ann@example.com"
    assert full["payments"] == [
        {
            "gateway": "test",
            "status": "AUTHORIZED",
            "authorized": {"amount": "39.98", "currency": "EUR"},
            "captured": {"amount": "0.00"},
        }
    ]
    location = fulfillment["location"]["code"]
    assert s.positions(sku)[location]["allocated"] == 2
    assert s.atp(sku) == 11
    assert api(ORDER_QUERY, {"number": order["number"]})["order"]["id"] == order["id"]
    completed = s.storefront(CART_QUERY, {"id": cart["id"]})["cart"]
    assert completed is not None
    again = s.complete(cart["id"])
    assert errors(again) == [(("input", "cartId"), "INVALID_TRANSITION")]


def test_a_declined_payment_leaves_no_order_no_hold_and_no_payment(api: Api) -> None:
    s = shop(api)
    email = f"{unique('d')}@example.com"
    cart = s.cart([{"sku": s.skus[0], "quantity": 2}], customerEmail=email)
    before = unchanged(s, email)
    result = s.complete(cart["id"], payment=DECLINED)
    assert result["order"] is None
    assert errors(result) == [(("input", "payment"), "PAYMENT_DECLINED")]
    assert unchanged(s, email) == before
    assert before["orders"] == 0
    # A card number is never accepted (nor echoed).
    card = s.complete(cart["id"], payment={"gateway": "test", "token": "4111 1111 1111 1111"})
    assert errors(card) == [(("input", "payment", "token"), "INVALID")]
    assert "4111" not in str(card)


def test_insufficient_stock_and_an_option_not_offered_change_nothing(api: Api) -> None:
    s = shop(api, stock_counts=(1, 0))
    email = f"{unique('i')}@example.com"
    cart = s.cart([{"sku": s.skus[0], "quantity": 2}], customerEmail=email)
    before = unchanged(s, email)
    short = s.complete(cart["id"])
    assert errors(short) == [(("lines", cart["lines"][0]["id"]), "INSUFFICIENT_STOCK")]
    courier = {
        "code": "courier",
        "name": "City courier",
        "price": "6.90",
        "bands": [{"maxKm": 20, "minDays": 0, "maxDays": 1}],
    }
    result = api(SETTINGS, {"channel": s.channel, "input": {"deliveryOptions": [courier]}})
    assert result["channelOrderSettingsSet"]["userErrors"] == []
    small = s.cart([{"sku": s.skus[0], "quantity": 1}], customerEmail=email)
    far = s.complete(small["id"], deliveryOption="courier")  # the warehouse is ~390 km away
    assert errors(far) == [(("input", "deliveryOption"), "INVALID")]
    unknown = s.complete(small["id"], deliveryOption="standard")  # no longer configured
    assert errors(unknown) == [(("input", "deliveryOption"), "INVALID")]
    assert unchanged(s, email) == before


def test_the_same_key_returns_the_same_order_and_other_input_conflicts(api: Api) -> None:
    s = shop(api)
    cart = s.cart([{"sku": s.skus[0], "quantity": 1}])
    first = s.complete(cart["id"], key="order-1")
    second = s.complete(cart["id"], key="order-1")
    assert first["userErrors"] == second["userErrors"] == []
    assert second["order"]["id"] == first["order"]["id"]
    conflict = s.complete(cart["id"], key="order-1", customerEmail="bob@example.com")
    assert errors(conflict) == [(("idempotencyKey",), "CONFLICT")]
    assert s.atp(s.skus[0]) == 12


def _place(s: Shop, **extra: Any) -> dict[str, Any]:
    return {
        "channel": s.channel,
        "lines": [{"sku": s.skus[0], "quantity": 1}],
        "email": "m@example.com",
        "shippingAddress": PARIS,
        "deliveryOption": "standard",
        **extra,
    }


def test_a_marketplace_order_with_its_own_price_and_no_payment(api: Api) -> None:
    s = shop(api)
    partner = api.as_token(
        factories.token(
            api, "partner", ["orders:write", "orders:read", "catalog:read"], channel=s.channel
        )
    )
    reference = unique("AMZ")
    data = _place(
        s,
        lines=[{"sku": s.skus[0], "quantity": 2, "unitPrice": "17.50"}],
        externalReference=reference,
        sourceCode="amazon",
    )
    placed = partner(ORDER_PLACE, {"input": data})["orderPlace"]
    assert placed["userErrors"] == []
    assert placed["order"]["lines"][0]["unitPrice"] == {"amount": "17.50"}
    assert placed["order"]["sourceCode"] == "amazon"
    again = partner(ORDER_PLACE, {"input": data})["orderPlace"]
    assert errors(again) == [(("input", "externalReference"), "DUPLICATE")]
    # A storefront can neither set a price nor skip the payment.
    refused = s.storefront(
        ORDER_PLACE,
        {"input": _place(s, lines=[{"sku": s.skus[0], "quantity": 1, "unitPrice": "0.01"}])},
    )["orderPlace"]
    assert sorted(errors(refused)) == [
        (("input", "lines", "0", "unitPrice"), "FORBIDDEN"),
        (("input", "payment"), "INVALID"),
    ]


def test_order_place_refuses_a_price_that_is_not_a_number_before_claiming_its_key(
    api: Api,
) -> None:
    # Found by the mutation fuzz: "NaN" parses as a Decimal, and with an idempotency key
    # the request's fingerprint met it before validation did (an INTERNAL error).
    s = shop(api)
    for price in ("NaN", "Infinity", "-Infinity"):
        data = _place(s, lines=[{"sku": s.skus[0], "quantity": 1, "unitPrice": price}])
        result = api(
            "mutation($input: OrderPlaceInput!, $key: String) "
            "{ orderPlace(input: $input, idempotencyKey: $key) "
            "{ order { id } userErrors { field code } } }",
            {"input": {**data, "payment": OK}, "key": unique("nan")},
        )["orderPlace"]
        assert result["order"] is None
        assert errors(result) == [(("input", "lines", "0", "unitPrice"), "INVALID")]


def test_order_place_refuses_bad_lines_and_a_pickup_where_nobody_picks_up(api: Api) -> None:
    s = shop(api)
    result = api(
        ORDER_PLACE,
        {
            "input": _place(
                s,
                lines=[
                    {"sku": "NO-SUCH", "quantity": 1},
                    {"sku": s.skus[0], "quantity": -1},
                    {"sku": s.skus[1], "quantity": 1000},
                ],
                pickupLocation=s.warehouse,
                deliveryOption=None,
                payment=OK,
            )
        },
    )["orderPlace"]
    assert sorted(errors(result)) == [
        (("input", "lines", "0", "sku"), "NOT_FOUND"),
        (("input", "lines", "1", "quantity"), "INVALID"),
        (("input", "lines", "2", "quantity"), "INVALID"),
        (("input", "pickupLocation"), "INVALID"),
    ]
    pickup = api(
        ORDER_PLACE,
        {
            "input": _place(
                s, pickupLocation=s.store, deliveryOption=None, shippingAddress=None, payment=OK
            )
        },
    )["orderPlace"]
    assert pickup["userErrors"] == []
    assert [(f["method"], f["location"]["code"]) for f in pickup["order"]["fulfillments"]] == [
        ("PICKUP", s.store)
    ]


def test_orders_filter_by_status_channel_customer_dates_and_stuck(
    api: Api, client: TestClient
) -> None:
    s = shop(api)
    email = f"{unique('f')}@example.com"
    numbers = []
    for _ in range(3):
        cart = s.cart([{"sku": s.skus[1], "quantity": 1}], customerEmail=email)
        numbers.append(s.complete(cart["id"])["order"]["number"])

    def listed(**filter_: Any) -> list[str]:
        page = api(ORDERS, {"filter": {"customerEmail": email.upper(), **filter_}, "first": 10})
        return [e["node"]["number"] for e in page["orders"]["edges"]]

    assert listed() == numbers[::-1]  # newest first
    assert listed(status=["CONFIRMED"], channel=s.channel) == numbers[::-1]
    assert listed(status=["SHIPPED"]) == []
    assert listed(channel=factories.channel(api)) == []
    now = datetime.now(UTC)
    assert listed(createdAfter=(now - timedelta(hours=1)).isoformat()) == numbers[::-1]
    assert listed(createdBefore=(now - timedelta(hours=1)).isoformat()) == []
    assert listed(stuckForMinutes=30) == []
    # The oldest has sat CONFIRMED for an hour: it is at risk.
    first = api(ORDER_QUERY, {"number": numbers[0]})["order"]["id"]
    services = client.app.state.services  # type: ignore[attr-defined]

    async def age() -> None:
        async with services.db.engine.begin() as conn:
            await conn.execute(
                update(orders)
                .where(orders.c.id == parse_order_id(first))
                .values(status_changed_at=datetime.now(UTC) - timedelta(hours=1))
            )

    portal = client.portal
    assert portal is not None
    portal.call(age)
    assert listed(stuckForMinutes=30) == [numbers[0]]
    page = api(ORDERS, {"filter": {"customerEmail": email}, "first": 2})["orders"]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    rest = api(ORDERS, {"filter": {"customerEmail": email}, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["number"] for e in rest["orders"]["edges"]] == [numbers[0]]


def test_a_customer_with_their_orders_paginated_and_nodes_by_id(api: Api) -> None:
    s = shop(api)
    email = f"{unique('c')}@example.com"
    placed = []
    for _ in range(2):
        cart = s.cart([{"sku": s.skus[1], "quantity": 1}], customerEmail=email)
        placed.append(s.complete(cart["id"])["order"])
    found = api(CUSTOMER, {"email": email.upper(), "first": 1})["customer"]
    assert found["email"] == email
    assert found["returns"] == []
    assert found["orders"]["totalCount"] == 2
    assert [e["node"]["number"] for e in found["orders"]["edges"]] == [placed[1]["number"]]
    rest = api(CUSTOMER, {"email": email, "after": found["orders"]["pageInfo"]["endCursor"]})
    assert [e["node"]["number"] for e in rest["customer"]["orders"]["edges"]] == [
        placed[0]["number"]
    ]
    assert api(CUSTOMER, {"email": "nobody@example.com"})["customer"] is None
    order = placed[0]
    for node_id, kind in (
        (order["id"], "Order"),
        (order["fulfillments"][0]["id"], "Fulfillment"),
        (found["id"], "Customer"),
    ):
        assert api(NODE, {"id": node_id})["node"]["__typename"] == kind
    cart = s.cart([{"sku": s.skus[1], "quantity": 1}])
    cart_node = "query($id: ID!) { node(id: $id) { id __typename ... on Cart { currency } } }"
    assert s.storefront(cart_node, {"id": cart["id"]})["node"] == {
        "id": cart["id"],
        "__typename": "Cart",
        "currency": "EUR",
    }
