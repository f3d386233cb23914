"""Returns through the API on both databases: place -> ship -> returnCreate -> returnReceive
-> returnRefund; restocked units back in onHand and availability; exchanges; bad input with
exact codes and nothing changed; who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests import factories
from tests.api.floor import ERRORS, OK, Floor, at, floor
from tests.api.test_availability import availability
from tests.api.test_inventory_ingest import SET
from tests.api.test_n_plus_one import counting
from tests.api.test_order_care_api import shipped
from tests.api.test_order_feeds import STATUS, next_status, subscribed
from tests.conftest import Api

RETURN = """id status location { code } createdAt refund { amount currency }
  lines { orderLineId sku quantity quantityReceived reason disposition }
  exchangeOrder { id number status lines { sku quantity } total { amount } }
  order { id }"""
CREATE = f"""mutation($input: ReturnCreateInput!) {{
  returnCreate(input: $input) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $location: String!, $lines: [ReturnReceiveLineInput!]!) {{
  returnReceive(id: $id, location: $location, lines: $lines) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
REFUND = f"""mutation($id: ID!) {{ returnRefund(id: $id) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
ORDER_RETURNS = """query($id: ID) { order(id: $id) {
  status lines { id quantityReturned } returns { id status refund { amount } }
  history { type message } payments { status captured { amount } refunded { amount } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Return { id status } } }"


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def shipped_order(shop: Floor, lines: list[tuple[str, int]]) -> dict[str, Any]:
    order = shop.place(lines)
    shipped(shop, at(order, shop.lille))
    return order


def create(api: Api, order: dict[str, Any], lines: list[tuple[int, int]], **extra: Any) -> Any:
    data = {
        "orderId": order["id"],
        "lines": [
            {"orderLineId": order["lines"][i]["id"], "quantity": n, "reason": "too small"}
            for i, n in lines
        ],
        **extra,
    }
    return api(CREATE, {"input": data})["returnCreate"]


def receive(api: Api, ret: dict[str, Any], location: str, lines: list[tuple[str, int, str]]) -> Any:
    data = [{"orderLineId": line, "quantity": n, "disposition": d} for line, n, d in lines]
    return api(RECEIVE, {"id": ret["id"], "location": location, "lines": data})["returnReceive"]


def order_returns(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = api(ORDER_RETURNS, {"id": order["id"]})["order"]
    return found


def test_return_restock_refund_end_to_end(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shipped_order(shop, [(sku, 3)])
    line = order["lines"][0]["id"]
    assert shop.positions(sku)[shop.lille] == (2, 0, 2)
    [before] = availability(api, shop.channel, [sku])

    created = create(api, order, [(0, 2)], location=shop.store)
    assert errors(created) == []
    ret = created["return"]
    assert ret["status"] == "REQUESTED"
    assert ret["location"] == {"code": shop.store}
    assert ret["lines"] == [
        {
            "orderLineId": line,
            "sku": sku,
            "quantity": 2,
            "quantityReceived": None,
            "reason": "too small",
            "disposition": None,
        }
    ]
    seen = order_returns(api, order)
    assert seen["lines"][0]["quantityReturned"] == 2
    assert [r["id"] for r in seen["returns"]] == [ret["id"]]

    # Bought online, returned in store: one restocked at the store, one discarded.
    got = receive(api, ret, shop.store, [(line, 2, "RESTOCK")])
    assert errors(got) == []
    assert got["return"]["status"] == "RECEIVED"
    assert got["return"]["lines"][0]["quantityReceived"] == 2
    assert got["return"]["lines"][0]["disposition"] == "RESTOCK"
    assert shop.positions(sku)[shop.store] == (2, 0, 2)
    [after] = availability(api, shop.channel, [sku])
    assert after["available"] == before["available"] + 2

    refunded = api(REFUND, {"id": ret["id"]})["returnRefund"]
    assert errors(refunded) == []
    # 2 of 3 units at 19.99: no shipping back (the rest of the order was kept).
    assert refunded["return"]["refund"] == {"amount": "39.98", "currency": "EUR"}
    assert refunded["return"]["status"] == "REFUNDED"
    seen = order_returns(api, order)
    [payment] = seen["payments"]
    assert payment["status"] == "PARTIALLY_REFUNDED"
    assert Decimal(payment["refunded"]["amount"]) == Decimal("39.98")
    kinds = [h["type"] for h in seen["history"]]
    assert kinds[-3:] == ["RETURN_REQUESTED", "RETURN_RECEIVED", "RETURN_REFUNDED"]

    again = api(REFUND, {"id": ret["id"]})["returnRefund"]
    assert errors(again) == [(["id"], "INVALID_TRANSITION")]
    assert order_returns(api, order) == seen
    assert api(NODE, {"id": ret["id"]})["node"] == {"id": ret["id"], "status": "REFUNDED"}


def test_discard_leaves_stock_alone_and_the_whole_order_comes_back(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shipped_order(shop, [(sku, 1)])
    line = order["lines"][0]["id"]
    ret = create(api, order, [(0, 1)])["return"]  # mail-back
    assert ret["location"] is None
    got = receive(api, ret, shop.lille, [(line, 1, "DISCARD")])
    assert errors(got) == []
    assert shop.positions(sku)[shop.lille] == (4, 0, 4)
    refunded = api(REFUND, {"id": ret["id"]})["returnRefund"]
    assert errors(refunded) == []
    total = Decimal(order["total"]["amount"])
    assert Decimal(refunded["return"]["refund"]["amount"]) == total
    [payment] = order_returns(api, order)["payments"]
    assert payment["status"] == "REFUNDED"


def test_bad_returns_are_refused_and_change_nothing(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shipped_order(shop, [(sku, 2)])
    line = order["lines"][0]["id"]
    locker = factories.location(api, kind="LOCKER")
    refusing = factories.location(api, acceptsReturns=False)
    before = order_returns(api, order)

    assert errors(create(api, order, [(0, 3)])) == [
        (["input", "lines", "0", "quantity"], "INVALID")
    ]
    assert errors(create(api, order, [(0, 1)], location=locker)) == [
        (["input", "location"], "INVALID")
    ]
    assert errors(create(api, order, [(0, 1)], location=refusing)) == [
        (["input", "location"], "INVALID")
    ]
    assert errors(create(api, order, [(0, 1)], location="nowhere")) == [
        (["input", "location"], "NOT_FOUND")
    ]
    unshipped = shop.place([(sku, 1)])
    assert errors(create(api, unshipped, [(0, 1)])) == [
        (["input", "lines", "0", "quantity"], "INVALID")
    ]
    assert order_returns(api, order) == before

    # Two returns may not take more than was shipped between them.
    first = create(api, order, [(0, 2)])
    assert errors(first) == []
    assert errors(create(api, order, [(0, 1)])) == [
        (["input", "lines", "0", "quantity"], "INVALID")
    ]

    ret = first["return"]
    refused = api(REFUND, {"id": ret["id"]})["returnRefund"]
    assert errors(refused) == [(["id"], "INVALID_TRANSITION")]  # receive it first
    assert errors(receive(api, ret, locker, [(line, 1, "RESTOCK")])) == [(["location"], "INVALID")]
    assert errors(receive(api, ret, shop.lille, [(line, 3, "RESTOCK")])) == [
        (["lines", "0", "quantity"], "INVALID")
    ]
    on_hand, allocated, available = shop.positions(sku)[shop.lille]
    assert (on_hand, allocated, available) == (3, 1, 2)  # the unshipped order holds one
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == []
    assert shop.positions(sku)[shop.lille] == (4, 1, 3)
    # One of two arrived: the line holds one returned unit, one can be returned again.
    assert order_returns(api, order)["lines"][0]["quantityReturned"] == 1
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == [
        (["id"], "INVALID_TRANSITION")
    ]
    assert errors(create(api, order, [(0, 1)])) == []


def test_exchange_places_a_linked_order_and_refunds_the_difference(api: Api) -> None:
    shop = floor(api, {"0": {"lille": 5}, "1": {"lille": 5}})
    dear, cheap = shop.skus
    order = shipped_order(shop, [(dear, 1)])
    line = order["lines"][0]["id"]
    exchange = [{"orderLineId": line, "sku": cheap, "quantity": 1}]
    created = create(api, order, [(0, 1)], exchangeSkus=exchange)
    assert errors(created) == []
    ret = created["return"]
    replacement = ret["exchangeOrder"]
    assert replacement["lines"] == [{"sku": cheap, "quantity": 1}]
    assert shop.positions(cheap)[shop.lille][1] == 1  # allocated like any order
    assert replacement["status"] == "ON_HOLD"  # until the returned goods arrive
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == []
    released = shop.order(replacement["id"])
    assert released is not None
    assert released["status"] == "CONFIRMED"
    assert "RELEASED" in [h["type"] for h in released["history"]]
    refunded = api(REFUND, {"id": ret["id"]})["returnRefund"]
    assert errors(refunded) == []
    value = Decimal(refunded["return"]["refund"]["amount"])
    [payment] = order_returns(api, order)["payments"]
    # The replacement is paid from the return's value; only the difference goes back.
    assert Decimal(payment["refunded"]["amount"]) == value - Decimal(replacement["total"]["amount"])

    # A dearer replacement needs a payment: refused without one, nothing placed.
    other = shipped_order(shop, [(cheap, 1)])
    dearer = [{"orderLineId": other["lines"][0]["id"], "sku": dear, "quantity": 1}]
    refused = create(api, other, [(0, 1)], exchangeSkus=dearer)
    assert errors(refused) == [(["input", "payment"], "INVALID")]
    declined = {"gateway": "test", "token": "tok_declined"}
    refused = create(api, other, [(0, 1)], exchangeSkus=dearer, payment=declined)
    assert errors(refused) == [(["input", "payment"], "PAYMENT_DECLINED")]
    assert order_returns(api, other)["returns"] == []
    assert shop.positions(dear)[shop.lille][1] == 0
    # With one, the replacement is paid like any order and the return refunded in full.
    paid = create(api, other, [(0, 1)], exchangeSkus=dearer, payment=OK)
    assert errors(paid) == []
    ret = paid["return"]
    replacement = shop.order(ret["exchangeOrder"]["id"])
    assert replacement is not None
    assert replacement["payments"][0]["status"] == "AUTHORIZED"
    line = other["lines"][0]["id"]
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == []
    refunded = api(REFUND, {"id": ret["id"]})["returnRefund"]
    [payment] = order_returns(api, other)["payments"]
    amount = refunded["return"]["refund"]["amount"]
    assert payment["refunded"]["amount"] == payment["captured"]["amount"] == amount
    assert payment["status"] == "REFUNDED"


def test_who_may_return_receive_and_refund(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shipped_order(shop, [(sku, 2)])
    line = order["lines"][0]["id"]
    ann = shop.token(
        "customer", ["orders:read", "returns:write", "catalog:read"], customer="ann@example.com"
    )
    bob = shop.token(
        "customer", ["orders:read", "returns:write", "catalog:read"], customer="bob@example.com"
    )
    other_channel = shop.token(
        "partner", ["orders:read", "returns:write", "catalog:read"], channel=factories.channel(api)
    )
    storefront = shop.token("storefront", ["orders:write"], channel=shop.channel)

    assert errors(create(bob, order, [(0, 1)])) == [(["input", "orderId"], "NOT_FOUND")]
    assert errors(create(other_channel, order, [(0, 1)])) == [(["input", "orderId"], "NOT_FOUND")]
    denied = storefront.raw(CREATE, {"input": {"orderId": order["id"], "lines": []}})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert order_returns(api, order)["returns"] == []

    mine = create(ann, order, [(0, 1)])
    assert errors(mine) == []
    ret = mine["return"]
    assert bob(NODE, {"id": ret["id"]})["node"] is None
    assert other_channel(NODE, {"id": ret["id"]})["node"] is None
    assert ann(NODE, {"id": ret["id"]})["node"] == {"id": ret["id"], "status": "REQUESTED"}
    assert errors(receive(ann, ret, shop.lille, [(line, 1, "RESTOCK")])) == [(["id"], "FORBIDDEN")]
    assert errors(receive(bob, ret, shop.lille, [(line, 1, "RESTOCK")])) == [(["id"], "FORBIDDEN")]
    assert errors(receive(other_channel, ret, shop.lille, [(line, 1, "RESTOCK")])) == [
        (["id"], "NOT_FOUND")
    ]
    store = shop.token(
        "partner", ["orders:read", "returns:write", "catalog:read"], location=shop.store
    )
    assert errors(receive(store, ret, shop.lille, [(line, 1, "RESTOCK")])) == [
        (["location"], "FORBIDDEN")
    ]
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == []
    # A customer token holds returns:write and is not channel-bound: the handler refuses.
    assert errors(ann(REFUND, {"id": ret["id"]})["returnRefund"]) == [(["id"], "FORBIDDEN")]
    # Money goes back: channel-bound tokens are refused before execution.
    denied = other_channel.raw(REFUND, {"id": ret["id"]})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    customer = ann('query { customer(email: "ann@example.com") { returns { id status } } }')[
        "customer"
    ]
    # Floor orders are all ann's (earlier tests' too): hers is among them.
    assert {"id": ret["id"], "status": "RECEIVED"} in customer["returns"]


def test_late_count_keeps_a_restocked_return(api: Api) -> None:
    """A count taken before the units came back and applied after re-applies them."""
    shop = floor(api)
    sku = shop.skus[0]
    order = shipped_order(shop, [(sku, 1)])
    ret = create(api, order, [(0, 1)])["return"]
    line = order["lines"][0]["id"]
    counted_at = datetime.now(UTC).isoformat()  # 4 on the shelf: 5 minus the one shipped
    assert errors(receive(api, ret, shop.lille, [(line, 1, "RESTOCK")])) == []
    assert shop.positions(sku)[shop.lille][0] == 5
    update = {"sku": sku, "location": shop.lille, "onHand": 4, "asOf": counted_at}
    assert api(SET, {"updates": [update]})["inventorySet"]["userErrors"] == []
    assert shop.positions(sku)[shop.lille][0] == 5


RETURNS_PAGE = """query($channel: String!, $first: Int!) {
  orders(filter: {channel: $channel}, first: $first) { edges { node { number
    returns { id status location { code } } } } } }"""


@pytest.mark.single_execution
def test_returns_of_a_page_of_orders_cost_the_same_whatever_its_size(
    api: Api, client: TestClient
) -> None:
    shop = floor(api, {"0": {"lille": 40}})
    for _ in range(12):
        order = shipped_order(shop, [(shop.skus[0], 1)])
        assert errors(create(api, order, [(0, 1)], location=shop.store)) == []
    counts = {}
    for first in (3, 12):
        with counting(client) as statements:
            result = api(RETURNS_PAGE, {"channel": shop.channel, "first": first})
        edges = result["orders"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["returns"]) == 1 for e in edges)
        counts[first] = len(statements)
    print(f"SQL statements for orders with returns (first: 3) = {counts[3]}, (12) = {counts[12]}")
    assert counts[3] == counts[12]


def test_the_shopper_follows_its_return_on_order_status_changed(
    api: Api, client: TestClient
) -> None:
    shop = floor(api)
    order = shipped_order(shop, [(shop.skus[0], 1)])
    line = order["lines"][0]["id"]
    shopper = shop.token(
        "customer", ["orders:read", "returns:write", "catalog:read"], customer="ann@example.com"
    )
    with subscribed(client, shopper.secret or "", STATUS, {"id": order["id"]}) as ws:
        ret = create(shopper, order, [(0, 1)])["return"]
        assert errors(receive(api, ret, shop.lille, [(line, 1, "DISCARD")])) == []
        assert errors(api(REFUND, {"id": ret["id"]})["returnRefund"]) == []
        # A return leaves the order's status as it is; each step is pushed all the same.
        for _ in range(3):
            assert next_status(ws) == (order["id"], "SHIPPED", "SHIPPED")
