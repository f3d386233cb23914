"""Shared subscriptions (server/shared_subscriptions.py) over graphql-transport-ws, on both
databases: subscribers in one group get exactly what a subscriber executed on its own gets,
each group sees only what its grants allow, members come and go mid-stream, and a group
that fails ends only its own members."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import Settings
from subscriptions import orders as feeds
from tests import factories
from tests.api.floor import Floor, at, floor
from tests.api.test_availability_feed import FEED, adjust
from tests.api.test_order_feeds import STATUS
from tests.conftest import Api


@pytest.fixture(scope="module")
def shop(api: Api) -> Floor:
    return floor(api, {"0": {"lille": 500, "lyon": 500}, "1": {"store": 500}})


@pytest.fixture(scope="module")
def solo(settings: Settings) -> Iterator[TestClient]:
    """Another worker on the same database, where each subscription executes on its own."""
    alone = dataclasses.replace(settings, shared_subscriptions=False)
    with TestClient(create_app(alone)) as client:
        yield client


def shared_of(client: TestClient) -> Any:
    return client.app.state.shared  # type: ignore[attr-defined]


@contextmanager
def subscribed(
    client: TestClient,
    secret: str,
    query: str,
    variables: dict[str, Any],
    op_id: str = "1",
) -> Iterator[Any]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        subscribe(client, ws, query, variables, op_id)
        yield ws


def subscribe(client: TestClient, ws: Any, query: str, variables: Any, op_id: str) -> None:
    """Subscribe and wait until the subscription is listening (no event can be missed)."""
    bus = client.app.state.services.bus  # type: ignore[attr-defined]
    before = bus.subscriber_count
    ws.send_json(
        {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )
    deadline = time.monotonic() + 10
    while bus.subscriber_count <= before:
        assert time.monotonic() < deadline, "subscription never became active"
        time.sleep(0.01)


def statuses(ws: Any, count: int) -> list[tuple[str, str | None, str]]:
    found = []
    for _ in range(count):
        message = ws.receive_json()
        assert message["type"] == "next", message
        event = message["payload"]["data"]["orderStatusChanged"]
        found.append((event["order"]["id"], event["previousStatus"], event["status"]))
    return found


def nothing_more(ws: Any) -> None:
    """Everything queued for this socket before now has been read: a ping's pong is next
    (a connection's messages leave in the order they were queued)."""
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}


def test_group_members_get_what_a_subscriber_executed_alone_gets(
    client: TestClient, solo: TestClient, shop: Floor
) -> None:
    # Two tokens with the same grants share one group; one of them also on its own.
    first = shop.token("partner", ["orders:read"], channel=shop.channel)
    second = shop.token("partner", ["orders:read"], channel=shop.channel)
    shared = shared_of(client)
    executions, deliveries = shared.executions, shared.deliveries
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(subscribed(client, first.secret or "", STATUS, {})),
            stack.enter_context(subscribed(client, first.secret or "", STATUS, {}, "other-id")),
            stack.enter_context(subscribed(client, second.secret or "", STATUS, {})),
        ]
        alone = stack.enter_context(subscribed(solo, first.secret or "", STATUS, {}))
        assert len(shared.groups) == 1
        elsewhere = floor(shop.api, {"0": {"lille": 5}})  # another channel: not theirs
        other = elsewhere.place([(elsewhere.skus[0], 1)])
        elsewhere.care("hold", id=other["id"], reason="not theirs")
        order = shop.place([(shop.skus[0], 1)])
        changes: list[Callable[[], object]] = [
            lambda: shop.care("hold", id=order["id"], reason="x"),
            lambda: shop.care("release", id=order["id"]),
            lambda: None,
        ]
        statuses_seen = []
        for change in changes:
            # Each change read by everyone before the next: `order` is the order as it is
            # when the event is executed, and the two workers execute at their own pace.
            expected = alone.receive_json()
            statuses_seen.append(expected["payload"]["data"]["orderStatusChanged"]["status"])
            for ws, op_id in zip(sockets, ["1", "other-id", "1"], strict=True):
                assert ws.receive_json() == {**expected, "id": op_id}
            change()
        assert statuses_seen == ["CONFIRMED", "ON_HOLD", "CONFIRMED"]
        for ws in sockets:
            nothing_more(ws)
    # One execution per event for the three of them; three deliveries each.
    assert (shared.executions - executions, shared.deliveries - deliveries) == (3, 9)
    assert shared.groups == {}


def test_each_group_sees_only_what_its_grants_allow(client: TestClient, shop: Floor) -> None:
    partner = shop.token("partner", ["orders:read"], channel=shop.channel)
    ann = shop.token("customer", ["orders:read"], customer="ann@example.com")
    bob = shop.token("customer", ["orders:read"], customer="bob@example.com")
    lyon = shop.token("partner", ["fulfillment:write", "orders:read"], location=shop.lyon)
    unbound = shop.token("admin", ["orders:read"])
    audiences = {"partner": partner, "ann": ann, "bob": bob, "lyon": lyon, "unbound": unbound}
    with ExitStack() as stack:
        sockets = {
            name: [
                stack.enter_context(subscribed(client, token.secret or "", STATUS, {}))
                for _ in range(2)
            ]
            for name, token in audiences.items()
        }
        assert len(shared_of(client).groups) == len(audiences)  # grants differ: one each

        elsewhere = floor(shop.api, {"0": {"lille": 5}})
        other = elsewhere.place([(elsewhere.skus[0], 1)])  # ann's too, another channel
        elsewhere.care("hold", id=other["id"], reason="x")
        first = shop.place([(shop.skus[0], 1)])  # ann's, at Lille
        shop.care("hold", id=first["id"], reason="x")
        second = shop.place([(shop.skus[0], 1)])  # ann's, rejected by Lille to Lyon
        assert shop.step("reject", at(second, shop.lille), reason="short")["userErrors"] == []
        shop.care("hold", id=second["id"], reason="x")
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
        shop.care("hold", id=bobs["id"], reason="x")
        shop.care("release", id=second["id"])

        placed, hold, release = (
            (None, "CONFIRMED"),
            ("CONFIRMED", "ON_HOLD"),
            ("ON_HOLD", "CONFIRMED"),
        )
        theirs = [
            (first["id"], *placed),
            (first["id"], *hold),
            (second["id"], *placed),
            (second["id"], *hold),
        ]
        expected: dict[str, list[tuple[str, str | None, str]]] = {
            "partner": [
                *theirs,
                (bobs["id"], *placed),
                (bobs["id"], *hold),
                (second["id"], *release),
            ],
            # Her own orders on every channel: a customer token is bound to her.
            "ann": [
                (other["id"], *placed),
                (other["id"], *hold),
                *theirs,
                (second["id"], *release),
            ],
            "bob": [(bobs["id"], *placed), (bobs["id"], *hold)],
            "lyon": [(second["id"], *hold), (second["id"], *release)],
            "unbound": [
                (other["id"], *placed),
                (other["id"], *hold),
                *theirs,
                (bobs["id"], *placed),
                (bobs["id"], *hold),
                (second["id"], *release),
            ],
        }
        for name, members in sockets.items():
            for ws in members:
                assert statuses(ws, len(expected[name])) == expected[name], name
                nothing_more(ws)


def test_members_join_and_leave_mid_stream(client: TestClient, api: Api, admin_secret: str) -> None:
    channel = factories.channel(api)
    loc = factories.location(api)
    [sku] = factories.product(api)
    factories.view(api, channel, [loc])
    variables = {"channel": channel, "skus": [sku]}
    shared = shared_of(client)
    bus = client.app.state.services.bus  # type: ignore[attr-defined]
    before = bus.subscriber_count

    def available(ws: Any) -> int:
        message = ws.receive_json()
        assert message["type"] == "next", message
        return int(message["payload"]["data"]["availabilityChanged"]["available"])

    with subscribed(client, admin_secret, FEED, variables) as early:
        adjust(api, sku, loc, 1)
        assert available(early) == 1
        with subscribed(client, admin_secret, FEED, variables) as late:
            assert len(shared.groups) == 1  # joined the running group
            adjust(api, sku, loc, 1)
            assert available(early) == 2
            assert available(late) == 2  # from when it joined: not the first event
            early.send_json({"id": "1", "type": "complete"})
            adjust(api, sku, loc, 1)
            assert available(late) == 3
            nothing_more(early)  # it left before the third event
            # It may subscribe again under the same id, and is back in the group.
            subscribe(client, early, FEED, variables, "1")
            adjust(api, sku, loc, 1)
            assert available(late) == 4
            assert available(early) == 4
            assert len(shared.groups) == 1
        adjust(api, sku, loc, 1)
        assert available(early) == 5
    deadline = time.monotonic() + 10
    while shared.groups or bus.subscriber_count != before:  # the last one out ends it
        assert time.monotonic() < deadline, (shared.groups, bus.subscriber_count, before)
        time.sleep(0.01)


def test_a_failing_group_ends_only_its_own_members(
    client: TestClient, solo: TestClient, shop: Floor, monkeypatch: pytest.MonkeyPatch
) -> None:
    sees = feeds.Viewer.sees

    async def failing(self: feeds.Viewer, *args: Any) -> bool:
        if self.actor.customer == "boom@example.com":
            raise RuntimeError("boom")
        return await sees(self, *args)

    monkeypatch.setattr(feeds.Viewer, "sees", failing)
    boom = shop.token("customer", ["orders:read"], customer="boom@example.com")
    partner = shop.token("partner", ["orders:read"], channel=shop.channel)
    with ExitStack() as stack:
        doomed = [
            stack.enter_context(subscribed(client, boom.secret or "", STATUS, {})) for _ in range(2)
        ]
        alone = stack.enter_context(subscribed(solo, boom.secret or "", STATUS, {}))
        fine = stack.enter_context(subscribed(client, partner.secret or "", STATUS, {}))
        order = shop.place([(shop.skus[0], 1)])
        shop.care("hold", id=order["id"], reason="x")

        def ending(ws: Any) -> list[dict[str, Any]]:
            messages = [ws.receive_json(), ws.receive_json()]
            assert messages[1] == {"id": "1", "type": "complete"}
            for error in messages[0]["payload"]["errors"]:
                del error["extensions"]["requestId"]  # the connection's, or the group's
            return messages

        expected = ending(alone)
        assert expected[0]["payload"]["errors"][0]["extensions"] == {"code": "INTERNAL"}
        for ws in doomed:
            assert ending(ws) == expected
            nothing_more(ws)
        assert statuses(fine, 2) == [
            (order["id"], None, "CONFIRMED"),
            (order["id"], "CONFIRMED", "ON_HOLD"),
        ]
        # The other group goes on after the failure.
        shop.care("release", id=order["id"])
        assert statuses(fine, 1) == [(order["id"], "ON_HOLD", "CONFIRMED")]


def test_a_refused_subscriber_gets_its_own_refusal_and_the_group_goes_on(
    client: TestClient, solo: TestClient, shop: Floor
) -> None:
    order = shop.place([(shop.skus[0], 1)])  # ann's
    bob = shop.token("customer", ["orders:read"], customer="bob@example.com")
    shared = shared_of(client)

    def refused(app: TestClient) -> list[dict[str, Any]]:
        with app.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            auth = {"authorization": f"Bearer {bob.secret}"}
            ws.send_json({"type": "connection_init", "payload": auth})
            assert ws.receive_json()["type"] == "connection_ack"
            payload = {"query": STATUS, "variables": {"id": order["id"]}}
            ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
            messages = [ws.receive_json()]
            if messages[0]["type"] == "next":
                messages.append(ws.receive_json())
            nothing_more(ws)
            return messages

    led = shared.led
    alone = refused(solo)
    assert refused(client) == alone  # run as the first of its group: its own answer
    assert shared.led == led + 1
    assert alone[0]["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert shared.groups == {}
    # The same shopper's own order: listening, in a group of its own.
    mine = shop.api(
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
    with subscribed(client, bob.secret or "", STATUS, {"id": mine["id"]}) as ws:
        shop.care("hold", id=mine["id"], reason="x")
        got = statuses(ws, 1)
        if got == [(mine["id"], None, "CONFIRMED")]:
            # The placement, committed before it subscribed, may be delivered after (the
            # SQLite bus polls): a subscription sees what is delivered once it listens.
            got = statuses(ws, 1)
        assert got == [(mine["id"], "CONFIRMED", "ON_HOLD")]
