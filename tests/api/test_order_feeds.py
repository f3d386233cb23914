"""orderStatusChanged and fulfillmentChanged over graphql-transport-ws, on both databases:
what each kind of token receives, in commit order, and what it never learns about."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.floor import Floor, at, floor
from tests.conftest import Api

STATUS = """subscription($id: ID) { orderStatusChanged(orderId: $id) {
  previousStatus status at order { id number status } } }"""
WORK = """subscription($location: String!) { fulfillmentChanged(location: $location) {
  previousStatus status at fulfillment { id status location { code } order { id } } } }"""
STORE_SCOPES = ["fulfillment:write", "orders:read", "catalog:read"]


@pytest.fixture(scope="module")
def shop(api: Api) -> Floor:
    # The first SKU ships from the warehouses (Lille first), the second is picked up in Paris.
    return floor(api, {"0": {"lille": 500, "lyon": 500}, "1": {"store": 500}})


@contextmanager
def subscribed(
    client: TestClient, secret: str, query: str, variables: dict[str, Any]
) -> Iterator[Any]:
    bus = client.app.state.services.bus  # type: ignore[attr-defined]
    before = bus.subscriber_count
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        deadline = time.monotonic() + 10
        while bus.subscriber_count <= before:
            assert time.monotonic() < deadline, "subscription never became active"
            time.sleep(0.01)
        yield ws


def refusal(client: TestClient, secret: str, query: str, variables: dict[str, Any]) -> Any:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        message = ws.receive_json()
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        return [(e["message"], e.get("extensions", {}).get("code")) for e in errors]


def next_status(ws: Any) -> tuple[str, str | None, str]:
    message = ws.receive_json()
    assert message["type"] == "next", message
    event = message["payload"]["data"]["orderStatusChanged"]
    assert event["order"]["status"] == event["status"] or event["status"] != "", event
    return event["order"]["id"], event["previousStatus"], event["status"]


def next_work(ws: Any) -> tuple[str, str, str | None, str]:
    message = ws.receive_json()
    assert message["type"] == "next", message
    event = message["payload"]["data"]["fulfillmentChanged"]
    part = event["fulfillment"]
    return part["order"]["id"], part["location"]["code"], event["previousStatus"], event["status"]


def ship(shop: Floor, fulfillment_id: str) -> None:
    for name in ("accept", "pick", "pack"):
        assert shop.step(name, fulfillment_id)["userErrors"] == []
    result = shop.step("ship", fulfillment_id, carrier="UPS", tracking="1Z")
    assert result["userErrors"] == []


def test_a_shopper_follows_its_order_in_commit_order(client: TestClient, shop: Floor) -> None:
    order = shop.place([(shop.skus[0], 1)])
    shopper = shop.token("customer", ["orders:read"], customer="ann@example.com")
    with subscribed(client, shopper.secret or "", STATUS, {"id": order["id"]}) as ws:
        other = shop.place([(shop.skus[0], 1)])  # the same shopper's other order: not this one
        shop.care("hold", id=other["id"], reason="x")
        ship(shop, at(order, shop.lille))
        assert next_status(ws) == (order["id"], "CONFIRMED", "IN_FULFILLMENT")
        assert next_status(ws) == (order["id"], "IN_FULFILLMENT", "SHIPPED")


def test_each_token_sees_only_the_orders_it_may(client: TestClient, shop: Floor) -> None:
    bob = shop.token("customer", ["orders:read"], customer="bob@example.com")
    partner = shop.token("partner", ["orders:read"], channel=shop.channel)
    lyon = shop.token("partner", STORE_SCOPES, location=shop.lyon)
    other = floor(shop.api, {"0": {"lille": 5}})

    def held(place: Any, by: str) -> str:
        order_id = str(place()["id"])
        assert shop.care("hold", id=order_id, reason=by)["userErrors"] == []
        return order_id

    def anns_order() -> Any:
        return shop.place([(shop.skus[0], 1)])

    with (
        subscribed(client, bob.secret or "", STATUS, {}) as bob_ws,
        subscribed(client, partner.secret or "", STATUS, {}) as partner_ws,
        subscribed(client, lyon.secret or "", STATUS, {}) as lyon_ws,
    ):
        elsewhere = other.place([(other.skus[0], 1)])  # another channel: nobody here sees it
        other.care("hold", id=elsewhere["id"], reason="x")
        first = held(anns_order, "ann's order, at Lille: not Bob's, not Lyon's")
        # Lyon's work on a second order of Ann's: Lille rejects it to Lyon.
        second = anns_order()
        assert shop.step("reject", at(second, shop.lille), reason="short")["userErrors"] == []
        shop.care("hold", id=second["id"], reason="now at Lyon")
        bobs = shop.api(
            """mutation($i: OrderPlaceInput!) { orderPlace(input: $i) { order { id } } }""",
            {
                "i": {
                    "channel": shop.channel,
                    "lines": [{"sku": shop.skus[1], "quantity": 1}],
                    "email": "bob@example.com",
                    "pickupLocation": shop.store,
                }
            },
        )["orderPlace"]["order"]
        shop.care("hold", id=bobs["id"], reason="bob's")

        placed, hold = (None, "CONFIRMED"), ("CONFIRMED", "ON_HOLD")
        assert [next_status(partner_ws) for _ in range(6)] == [
            (first, *placed),
            (first, *hold),
            (second["id"], *placed),
            (second["id"], *hold),  # re-sourced to Lyon: still CONFIRMED, no change
            (bobs["id"], *placed),
            (bobs["id"], *hold),
        ]
        # Lyon had no work on the second order when it was placed, only once re-sourced.
        assert next_status(lyon_ws) == (second["id"], *hold)
        assert [next_status(bob_ws) for _ in range(2)] == [
            (bobs["id"], *placed),
            (bobs["id"], *hold),
        ]
        # Nothing else reached Lyon or Bob: the next thing each sees is the next change.
        assert shop.care("release", id=bobs["id"])["userErrors"] == []
        assert shop.care("release", id=second["id"])["userErrors"] == []
        assert next_status(bob_ws) == (bobs["id"], "ON_HOLD", "CONFIRMED")
        assert next_status(lyon_ws) == (second["id"], "ON_HOLD", "CONFIRMED")

    # Someone else's order, or none at all, is refused alike.
    unknown = "T3JkZXI6MDAwMDAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"
    for order_id in (first, unknown, "garbage"):
        assert refusal(client, bob.secret or "", STATUS, {"id": order_id}) == [
            ("No such order.", "NOT_FOUND")
        ]
    # Another channel's order (Ann's too, but the partner is bound to this channel).
    assert refusal(client, partner.secret or "", STATUS, {"id": elsewhere["id"]}) == [
        ("No such order.", "NOT_FOUND")
    ]


def test_a_store_watches_the_work_at_its_location(client: TestClient, shop: Floor) -> None:
    lyon = shop.token("partner", STORE_SCOPES, location=shop.lyon)
    with subscribed(client, lyon.secret or "", WORK, {"location": shop.lyon}) as ws:
        order = shop.place([(shop.skus[0], 2)])  # assigned to Lille: not Lyon's
        assert shop.step("reject", at(order, shop.lille), reason="short")["userErrors"] == []
        found = shop.order(order["id"])
        assert found is not None
        lyon_part = at(found, shop.lyon)
        assert next_work(ws) == (order["id"], shop.lyon, None, "ASSIGNED")
        assert shop.step("accept", lyon_part, as_=lyon)["userErrors"] == []
        assert next_work(ws) == (order["id"], shop.lyon, "ASSIGNED", "ACCEPTED")
    assert refusal(client, lyon.secret or "", WORK, {"location": shop.lille}) == [
        ("This token may only watch its own location.", "FORBIDDEN")
    ]
    assert refusal(client, shop.api.secret or "", WORK, {"location": "nowhere"}) == [
        ("Unknown location 'nowhere'.", "NOT_FOUND")
    ]
