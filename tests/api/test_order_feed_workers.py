"""Order feeds across real workers: two `orchestra serve` processes sharing PostgreSQL and a
private Redis. A parcel shipped through worker A reaches graphql-transport-ws subscribers
on worker B (the shopper's orderStatusChanged, the warehouse's fulfillmentChanged); with
Redis killed and restarted between status changes, the shopper still gets every change, in
commit order. One scenario, so starting the servers is paid once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.api.floor import CARE, STEPS, at, care_document, floor, step_document
from tests.api.test_feed_faults import eventually, status_is, subscribers
from tests.conftest import Api
from tests.servers import PrivateRedis, Server, serving

STATUS = """subscription($id: ID) { orderStatusChanged(orderId: $id) {
  previousStatus status order { id status } } }"""
WORK = """subscription($location: String!) { fulfillmentChanged(location: $location) {
  previousStatus status fulfillment { id } } }"""

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two server processes share one database: PostgreSQL")


async def subscribe(
    server: Server, secret: str, query: str, variables: dict[str, Any]
) -> ClientConnection:
    ws = await connect(server.ws, subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
    )
    return ws


async def collect(ws: ClientConnection, field: str, into: list[tuple[Any, ...]]) -> None:
    async for raw in ws:
        message = json.loads(raw)
        assert message["type"] == "next", message
        event = message["payload"]["data"][field]
        into.append((event["previousStatus"], event["status"]))


def test_a_shipment_through_one_worker_reaches_subscribers_on_the_other_across_redis_restarts(
    api: Api, admin_secret: str, database_url: str
) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 2)])
    parcel = at(order, shop.lille)
    shopper = shop.token("customer", ["orders:read"], customer="ann@example.com").secret
    warehouse = shop.token(
        "partner", ["fulfillment:write", "orders:read"], location=shop.lille
    ).secret
    assert shopper is not None
    assert warehouse is not None
    redis = PrivateRedis()
    redis.start()

    async def scenario(a: Server, b: Server) -> dict[str, list[tuple[Any, ...]]]:
        async with httpx2.AsyncClient(timeout=10) as http:

            async def on_a(document: str, variables: dict[str, Any], field: str) -> None:
                response = await http.post(
                    a.base + "/graphql",
                    json={"query": document, "variables": variables},
                    headers={"Authorization": f"Bearer {admin_secret}"},
                )
                body = response.json()
                assert "errors" not in body, body
                assert body["data"][field]["userErrors"] == [], body

            async def step(name: str, **args: Any) -> None:
                await on_a(step_document(name), {"id": parcel, **args}, STEPS[name][0])

            async def care(name: str, **args: Any) -> None:
                await on_a(care_document(name), {"id": order["id"], **args}, CARE[name][0])

            received: dict[str, list[tuple[Any, ...]]] = {"status": [], "work": []}
            sockets = [
                await subscribe(b, shopper, STATUS, {"id": order["id"]}),
                await subscribe(b, warehouse, WORK, {"location": shop.lille}),
            ]
            readers = [
                asyncio.create_task(collect(sockets[0], "orderStatusChanged", received["status"])),
                asyncio.create_task(collect(sockets[1], "fulfillmentChanged", received["work"])),
            ]
            await eventually(lambda: _at_least(http, b, 2), "both subscriptions active")

            await step("accept")  # CONFIRMED -> IN_FULFILLMENT, through worker A
            await care("hold", reason="address check")  # IN_FULFILLMENT -> ON_HOLD
            redis.kill()
            await care("release")  # ON_HOLD -> IN_FULFILLMENT while Redis is down
            redis.start()  # empty, as production runs it (no persistence)
            for server in (a, b):
                await eventually(status_is(http, server, "ready"), "doorbell back")
            await step("pick")
            await step("pack")
            await step("ship", carrier="UPS", tracking="1Z1")  # -> SHIPPED
            await eventually(lambda: _done(received), "every change delivered", within=20)
            await asyncio.sleep(0.5)  # and nothing more
            for reader in readers:
                reader.cancel()
            for ws in sockets:
                await ws.close()
            return received

    try:
        with serving(database_url, redis.url, count=2) as (a, b):
            received = asyncio.run(scenario(a, b))
    finally:
        redis.kill()
    assert received["status"] == [
        ("CONFIRMED", "IN_FULFILLMENT"),
        ("IN_FULFILLMENT", "ON_HOLD"),
        ("ON_HOLD", "IN_FULFILLMENT"),
        ("IN_FULFILLMENT", "SHIPPED"),
    ]
    assert received["work"] == [
        ("ASSIGNED", "ACCEPTED"),
        ("ACCEPTED", "PICKED"),
        ("PICKED", "PACKED"),
        ("PACKED", "SHIPPED"),
    ]


async def _at_least(http: httpx2.AsyncClient, server: Server, count: int) -> bool:
    return await subscribers(http, server) >= count


async def _done(received: dict[str, list[tuple[Any, ...]]]) -> bool:
    return len(received["status"]) >= 4 and len(received["work"]) >= 4
