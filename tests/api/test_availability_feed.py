"""The ATP push feed over WebSocket (graphql-transport-ws): fires exactly when ATP moves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests import factories
from tests.api.test_inventory_ingest import ADJUST, SET, ago
from tests.conftest import Api, unique

FEED = """subscription($channel: String!, $skus: [String!]) {
  availabilityChanged(channel: $channel, skus: $skus) { sku channel available at } }"""


@contextmanager
def subscribed(client: TestClient, secret: str, variables: dict[str, Any]) -> Iterator[Any]:
    bus = client.app.state.services.bus  # type: ignore[attr-defined]
    before = bus.subscriber_count
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": FEED, "variables": variables}}
        )
        deadline = time.monotonic() + 10
        while bus.subscriber_count <= before:
            assert time.monotonic() < deadline, "subscription never became active"
            time.sleep(0.01)
        yield ws


def adjust(api: Api, sku: str, loc: str, delta: int) -> None:
    update = {"sku": sku, "location": loc, "delta": delta, "reason": "r", "eventId": unique("e")}
    assert api(ADJUST, {"updates": [update]})["inventoryAdjust"]["applied"] == 1


def next_event(ws: Any) -> dict[str, Any]:
    message = ws.receive_json()
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["availabilityChanged"]
    return event


def test_feed_fires_when_atp_moves_including_crossing_zero(
    client: TestClient, api: Api, admin_secret: str
) -> None:
    channel = factories.channel(api)
    counted = factories.location(api)
    elsewhere = factories.location(api)
    [sku] = factories.product(api)
    factories.view(api, channel, [counted], safetyBuffer=1)
    with subscribed(client, admin_secret, {"channel": channel, "skus": [sku]}) as ws:
        adjust(api, sku, counted, 5)
        assert next_event(ws)["available"] == 4
        # Not in the view, and inside the safety buffer: neither moves the channel's ATP.
        adjust(api, sku, elsewhere, 50)
        adjust(api, sku, counted, -4)  # 1 on hand, 1 buffered: ATP 0, crossing zero
        event = next_event(ws)
        assert (event["sku"], event["channel"], event["available"]) == (sku, channel, 0)
        adjust(api, sku, counted, 1)  # 2 on hand, 1 buffered: ATP 1
        assert next_event(ws)["available"] == 1


def test_feed_follows_counts_and_kits(client: TestClient, api: Api, admin_secret: str) -> None:
    channel = factories.channel(api)
    loc = factories.location(api)
    parts = factories.product(api, skus=2)
    [kit] = factories.product(api, kit=[(parts[0], 2), (parts[1], 1)])
    factories.view(api, channel, [loc])
    with subscribed(client, admin_secret, {"channel": channel, "skus": [kit]}) as ws:
        api(
            SET,
            {
                "updates": [
                    {"sku": parts[0], "location": loc, "onHand": 7, "asOf": ago(seconds=1)},
                    {"sku": parts[1], "location": loc, "onHand": 2, "asOf": ago(seconds=1)},
                ]
            },
        )
        assert next_event(ws) | {"at": None} == {
            "sku": kit,
            "channel": channel,
            "available": 2,
            "at": None,
        }


def test_feed_needs_inventory_read(client: TestClient, api: Api) -> None:
    secret = factories.token(api, "admin", ["catalog:read"])
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": FEED, "variables": {"channel": "web"}},
            }
        )
        message = ws.receive_json()
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_websocket_rejects_an_unknown_token(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer orc_nope"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
