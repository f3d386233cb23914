"""The feed across Redis faults, with real processes: two `orchestra serve` workers sharing
PostgreSQL, started while their (private) Redis is down, which then comes up, is killed
(SIGKILL) and restarted between events; real graphql-transport-ws clients on both workers
count every event. One scenario, so the slow part (starting servers) is paid once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests import factories
from tests.api.test_inventory_ingest import ADJUST
from tests.conftest import Api, unique
from tests.servers import PrivateRedis, Server, serving

FEED = """subscription($channel: String!, $skus: [String!]) {
  availabilityChanged(channel: $channel, skus: $skus) { sku available } }"""

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two server processes share one database: PostgreSQL")


async def graphql(
    http: httpx2.AsyncClient, base: str, secret: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        base + "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {secret}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def subscribe(server: Server, secret: str, variables: dict[str, Any]) -> ClientConnection:
    ws = await connect(server.ws, subprotocols=[Subprotocol("graphql-transport-ws")])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": FEED, "variables": variables}}
        )
    )
    return ws


async def collect(ws: ClientConnection, into: list[int]) -> None:
    async for raw in ws:
        message = json.loads(raw)
        assert message["type"] == "next", message
        into.append(message["payload"]["data"]["availabilityChanged"]["available"])


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 15) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def ready_status(http: httpx2.AsyncClient, server: Server) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(server.base + "/readyz")).json()
    return body


async def subscribers(http: httpx2.AsyncClient, server: Server) -> float:
    text = (await http.get(server.base + "/metrics")).text
    for line in text.splitlines():
        if line.startswith("orchestra_subscribers "):
            return float(line.split()[1])
    return 0.0


def test_the_feed_delivers_every_event_in_order_while_redis_is_down_killed_and_restarted(
    api: Api, admin_secret: str, database_url: str
) -> None:
    channel = factories.channel(api)
    loc = factories.location(api)
    [sku] = factories.product(api)
    factories.view(api, channel, [loc])
    per_phase = 10
    redis = PrivateRedis()  # its port has nothing listening yet: the servers start without it

    async def scenario(a: Server, b: Server) -> dict[str, Any]:
        async with httpx2.AsyncClient(timeout=10) as http:

            async def write(count: int) -> None:
                for _ in range(count):
                    update = {
                        "sku": sku,
                        "location": loc,
                        "delta": 1,
                        "reason": "r",
                        "eventId": unique("e"),
                    }
                    body = await graphql(http, a.base, admin_secret, ADJUST, {"updates": [update]})
                    assert body["data"]["inventoryAdjust"]["applied"] == 1

            async def all_say(status: str) -> None:
                for server in (a, b):
                    await eventually(status_is(http, server, status), status)

            slow_client = asyncio.create_task(seconds_until_cut_off(a))
            started_down = [await ready_status(http, server) for server in (a, b)]
            viewer = await graphql(http, b.base, admin_secret, "{ viewer { kind } }", {})
            received: dict[str, list[int]] = {"a": [], "b": []}
            sockets = {
                name: await subscribe(server, admin_secret, {"channel": channel, "skus": [sku]})
                for name, server in (("a", a), ("b", b))
            }
            readers = [asyncio.create_task(collect(ws, received[n])) for n, ws in sockets.items()]
            for server in (a, b):
                await eventually(subscribed(http, server), "subscribed")

            await write(per_phase)  # Redis down since start-up: events only in the log
            redis.start()
            await all_say("ready")  # the doorbell connected by itself
            await write(per_phase)  # Redis up
            redis.kill()
            await all_say("degraded")
            await write(per_phase)  # Redis killed
            redis.start()  # same port, empty: no persistence, like production
            await all_say("ready")
            await write(per_phase)  # Redis back
            total = 4 * per_phase
            await eventually(delivered(received, total), "every event delivered", within=20)
            await asyncio.sleep(0.5)  # and nothing more
            for reader in readers:
                reader.cancel()
            for ws in sockets.values():
                await ws.close()
            return {
                "slow_client_cut_off_after": await slow_client,
                "started_down": started_down,
                "viewer": viewer,
                "received": received,
                "ready": [await ready_status(http, server) for server in (a, b)],
            }

    try:
        with serving(database_url, redis.url, count=2, ORCHESTRA_HEADER_TIMEOUT="1") as (a, b):
            result = asyncio.run(scenario(a, b))
    finally:
        redis.kill()
    expected = list(range(1, 4 * per_phase + 1))
    print(
        f"delivered while Redis was down, up, killed and restarted: "
        f"a={len(result['received']['a'])}, b={len(result['received']['b'])} of {len(expected)} each"
    )
    assert 0.8 < result["slow_client_cut_off_after"] < 3  # orchestra serve's header timeout
    for body in result["started_down"]:
        assert body["status"] == "degraded"
        assert body["checks"] == {"database": "ok", "redis": "down"}
    assert result["viewer"]["data"] == {"viewer": {"kind": "admin"}}
    assert result["received"] == {"a": expected, "b": expected}
    assert [body["busReconnects"] for body in result["ready"]] == [2, 2]


async def seconds_until_cut_off(server: Server) -> float:
    """Send half a request head and wait for the server to hang up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
    await writer.drain()
    started = time.monotonic()
    await asyncio.wait_for(reader.read(), timeout=10)  # b"" once the server closes
    writer.close()
    return time.monotonic() - started


def status_is(
    http: httpx2.AsyncClient, server: Server, status: str
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool((await ready_status(http, server))["status"] == status)

    return check


def subscribed(http: httpx2.AsyncClient, server: Server) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await subscribers(http, server) >= 1

    return check


def delivered(received: dict[str, list[int]], total: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(len(values) >= total for values in received.values())

    return check
