"""`orderStatusChanged` fan-out, run by bench/fanout.py on its servers (`--feed orders`).

Two shapes of audience, N subscribers each, every change an `orderHold` (a status change
to ON_HOLD, committed when the mutation answers):
- dashboard: every subscriber watches every order the token sees (`orderStatusChanged`
  without an id): each change reaches all N, like the availability feed;
- shoppers: each subscriber watches its own order (`orderId`): each change reaches one,
  while N idle subscriptions stay open (routed by order id, they cost nothing per event).
Selection: `previousStatus status at order { id number status }` (the order is read once
per event and worker, shared by its subscribers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.fanout import Latencies, measure, post, subscribed

FEED = """subscription($id: ID) { orderStatusChanged(orderId: $id) {
  previousStatus status at order { id number status } } }"""
HOLD = """mutation($id: ID!) { orderHold(id: $id, reason: "bench") { userErrors { code } } }"""
PLACE = """mutation($input: OrderPlaceInput!) { orderPlace(input: $input) {
  order { id } userErrors { field code message } } }"""
SETUP = [
    """mutation { productCreate(input: {handle: "fan-order", title: "Fan order",
  variants: [{sku: "FAN-O", title: "Fan order", prices: [{channel: "fan", amount: "10.00"}]}]}) {
  userErrors { message } } }""",
    """mutation { inventorySet(updates: [{sku: "FAN-O", location: "fan-wh", onHand: 1000000,
  asOf: "2020-01-01T00:00:00Z"}]) { userErrors { message } } }""",
]
ADDRESS = {
    "line1": "1 Main St",
    "city": "New York",
    "postalCode": "10001",
    "country": "US",
    "geo": {"latitude": 40.75, "longitude": -73.99},
}


def place_orders(graphql: str, secret: str, count: int) -> list[str]:
    """`count` one-line orders (admin, paid elsewhere: no gateway in the way)."""
    data = {
        "channel": "fan",
        "lines": [{"sku": "FAN-O", "quantity": 1}],
        "shippingAddress": ADDRESS,
        "deliveryOption": "standard",
    }

    def one(_: int) -> str:
        body = post(graphql, {"query": PLACE, "variables": {"input": data}}, secret)
        result = body["data"]["orderPlace"]
        assert result["userErrors"] == [], result
        return str(result["order"]["id"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def orders_run(
    base: str, secret: str, args: argparse.Namespace
) -> list[tuple[str, Latencies, int]]:
    graphql = base + "/graphql"
    for query in SETUP:
        body = post(graphql, {"query": query}, secret)
        assert "errors" not in body, body
    shopper_changes = min(args.subscribers, args.changes * 4)
    orders = place_orders(graphql, secret, args.subscribers + args.changes)
    watched, held_on_dashboard = orders[: args.subscribers], orders[args.subscribers :]
    dashboard = asyncio.run(
        _run(base, secret, args, held_on_dashboard, lambda _: None, args.changes)
    )
    # Shoppers: change n holds the order of subscriber (n * 7919) % N (distinct orders).
    picks = [watched[(n * 7919) % len(watched)] for n in range(shopper_changes)]
    shoppers = asyncio.run(
        _run(base, secret, args, picks, lambda i: watched[i], shopper_changes, expected=True)
    )
    return [
        (
            f"orderStatusChanged, dashboard ({args.subscribers} x every change)",
            dashboard,
            args.subscribers * args.changes,
        ),
        (
            f"orderStatusChanged, shoppers (each its own order, {shopper_changes} changes)",
            shoppers,
            shopper_changes,
        ),
    ]


async def _run(
    base: str,
    secret: str,
    args: argparse.Namespace,
    targets: list[str],
    watch: Any,
    changes: int,
    expected: bool = False,
) -> Latencies:
    loop = asyncio.get_running_loop()
    number = {order_id: n for n, order_id in enumerate(targets, start=1)}

    async def open_subscriber(i: int) -> ClientConnection:
        ws = await connect(
            base.replace("http://", "ws://") + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_queue=None,
        )
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        variables = {"id": watch(i)}
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": FEED, "variables": variables}}
            )
        )
        return ws

    def value_of(message: dict[str, Any]) -> int | None:
        if message.get("type") != "next":
            return None
        event = message["payload"]["data"]["orderStatusChanged"]
        if event["status"] != "ON_HOLD":
            return None
        return number.get(event["order"]["id"])

    async def emit(n: int) -> None:
        body = await loop.run_in_executor(
            None,
            post,
            base + "/graphql",
            {"query": HOLD, "variables": {"id": targets[n - 1]}},
            secret,
        )
        assert body["data"]["orderHold"]["userErrors"] == [], body

    async def ready(count: int) -> None:
        await subscribed(base, count)

    return await measure(
        open_subscriber,
        value_of,
        emit,
        args.subscribers,
        changes,
        args.interval,
        ready,
        expected=changes if expected else None,
    )
