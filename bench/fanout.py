"""Subscription fan-out: change-to-delivery latency to many WebSocket subscribers.

    .venv/bin/python bench/fanout.py [--subscribers 1000] [--changes 50] [--interval 0.1]
                                     [--feed availability|orders|all]

1. A scratch PostgreSQL database (orchestra_bench_fanout), a private redis-server on a free
   port, `orchestra serve --workers 2` with the Redis doorbell.
2. N graphql-transport-ws subscribers to `availabilityChanged` on one channel and SKU,
   spread over both workers by the kernel; all confirmed active through /metrics.
3. `--changes` inventoryAdjust mutations (+1 each, so every event carries a distinct
   `available`), one every `--interval` s. For each delivery: the time from sending the
   mutation, and from its response (the commit), to the subscriber receiving the event.
4. The same subscribers and emits against bench/bare_fanout.py (Redis pub/sub straight to
   WebSockets, 2 workers): the floor, in the same run.

With `--feed orders` (or `all`, the default), bench/fanout_orders.py measures
`orderStatusChanged` on the same servers: a dashboard (every subscriber watches every
order) and shoppers' apps (each subscriber watches its own order), triggered by `orderHold`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.common import ROOT, admin_token, drop_database, fresh_database, serving

DATABASE = os.environ.get("BENCH_FANOUT_DATABASE", "orchestra_bench_fanout")
FEED = """subscription($channel: String!, $skus: [String!]) {
  availabilityChanged(channel: $channel, skus: $skus) { available } }"""
ADJUST = """mutation($updates: [InventoryAdjustInput!]!) { inventoryAdjust(updates: $updates) {
  applied } }"""
SETUP: list[tuple[str, dict[str, Any]]] = [
    (
        """mutation { channelCreate(input: {code: "fan", name: "Fan", currency: "USD"}) {
  userErrors { message } } }""",
        {},
    ),
    (
        """mutation { locationCreate(input: {code: "fan-wh", name: "Fan WH", kind: WAREHOUSE,
  canShip: true, canPickup: false, geo: {latitude: 40.7, longitude: -74.0}}) {
  userErrors { message } } }""",
        {},
    ),
    (
        """mutation { productCreate(input: {handle: "fan", title: "Fan",
  variants: [{sku: "FAN-1", title: "Fan"}]}) { userErrors { message } } }""",
        {},
    ),
    (
        """mutation { inventoryViewUpsert(channel: "fan", input: {code: "fan",
  locations: ["fan-wh"]}) { userErrors { message } } }""",
        {},
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else {}


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Latencies:
    def __init__(self) -> None:
        self.sent: dict[int, float] = {}
        self.committed: dict[int, float] = {}
        self.from_send: list[float] = []
        self.from_commit: list[float] = []
        self.unexpected = 0

    def received(self, value: int, at: float) -> None:
        if value not in self.sent:
            self.unexpected += 1
            return
        self.from_send.append(at - self.sent[value])
        if value in self.committed:
            self.from_commit.append(at - self.committed[value])

    def summary(self, expected: int) -> str:
        ms = [v * 1000 for v in self.from_send]
        cms = [v * 1000 for v in self.from_commit] or [0.0]
        return (
            f"{len(ms)}/{expected} deliveries; from send p50 {statistics.median(ms):.1f} ms, "
            f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms; "
            f"from commit p50 {statistics.median(cms):.1f} ms, p99 {percentile(cms, 0.99):.1f} ms"
        )


async def measure(
    open_subscriber: Callable[[int], Awaitable[ClientConnection]],
    value_of: Callable[[dict[str, Any]], int | None],
    emit: Callable[[int], Awaitable[None]],
    subscribers: int,
    changes: int,
    interval: float,
    ready: Callable[[int], Awaitable[None]],
    expected: int | None = None,
) -> Latencies:
    """Open the subscribers (`open_subscriber(i)` for i in 0..subscribers-1), fire `changes`
    emits, collect every delivery's latency (`expected` deliveries: every subscriber gets
    every change unless told otherwise)."""
    latencies = Latencies()
    sockets: list[ClientConnection] = []
    for start in range(0, subscribers, 50):
        batch = [open_subscriber(i) for i in range(start, min(start + 50, subscribers))]
        sockets.extend(await asyncio.gather(*batch))
    await ready(subscribers)
    done = asyncio.Event()
    remaining = [subscribers * changes if expected is None else expected]

    async def read(ws: ClientConnection) -> None:
        async for raw in ws:
            at = time.perf_counter()
            value = value_of(json.loads(raw))
            if value is None:
                continue
            latencies.received(value, at)
            remaining[0] -= 1
            if remaining[0] <= 0:
                done.set()

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    for n in range(1, changes + 1):
        latencies.sent[n] = time.perf_counter()
        await emit(n)
        latencies.committed[n] = time.perf_counter()
        await asyncio.sleep(interval)
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    except TimeoutError:
        print(f"  timed out with {remaining[0]} deliveries missing")
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return latencies


async def subscribed(base: str, count: int) -> None:
    """Wait until the workers report `count` active subscriptions (/metrics)."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + 60
    while True:
        text = await loop.run_in_executor(None, fetch, base + "/metrics")
        active = next(
            (
                float(line.split()[1])
                for line in text.splitlines()
                if line.startswith("orchestra_subscribers ")
            ),
            0.0,
        )
        if active >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {active} of {count} subscriptions became active")
        await asyncio.sleep(0.2)


async def orchestra_run(base: str, secret: str, args: argparse.Namespace) -> Latencies:
    ws_url = base.replace("http://", "ws://")
    graphql = base + "/graphql"
    loop = asyncio.get_running_loop()

    async def open_subscriber(_: int) -> ClientConnection:
        protocols = [Subprotocol("graphql-transport-ws")]
        ws = await connect(ws_url + "/graphql", subprotocols=protocols, max_queue=None)
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        variables = {"channel": "fan", "skus": ["FAN-1"]}
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": FEED, "variables": variables}}
            )
        )
        return ws

    def value_of(message: dict[str, Any]) -> int | None:
        if message.get("type") != "next":
            return None
        return int(message["payload"]["data"]["availabilityChanged"]["available"])

    async def emit(n: int) -> None:
        update = {
            "sku": "FAN-1",
            "location": "fan-wh",
            "delta": 1,
            "reason": "bench",
            "eventId": f"fan-{time.time_ns()}-{n}",
        }
        body = await loop.run_in_executor(
            None, post, graphql, {"query": ADJUST, "variables": {"updates": [update]}}, secret
        )
        assert body["data"]["inventoryAdjust"]["applied"] == 1, body

    async def ready(count: int) -> None:
        await subscribed(base, count)

    return await measure(
        open_subscriber, value_of, emit, args.subscribers, args.changes, args.interval, ready
    )


async def bare_run(base: str, args: argparse.Namespace) -> Latencies:
    loop = asyncio.get_running_loop()

    async def open_subscriber(_: int) -> ClientConnection:
        return await connect(base.replace("http://", "ws://") + "/ws", max_queue=None)

    def value_of(message: dict[str, Any]) -> int | None:
        return int(message["available"])

    async def emit(n: int) -> None:
        await loop.run_in_executor(None, post, base + "/emit", {"available": n})

    async def ready(_: int) -> None:
        await asyncio.sleep(1.0)

    return await measure(
        open_subscriber, value_of, emit, args.subscribers, args.changes, args.interval, ready
    )


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def start_bare(redis_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("uvicorn")),
            "--factory",
            "bench.bare_fanout:create_app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--ws-per-message-deflate",
            "false",  # as orchestra serve
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/count", timeout=1):
                return process, base
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--feed",
        choices=("availability", "orders", "all"),
        default="all",
        help="availabilityChanged, orderStatusChanged (bench/fanout_orders.py), or both",
    )
    args = parser.parse_args()
    # The bench is one client opening a thousand subscriptions with one token: lift the
    # per-client limits (server/limit_settings.py) so it measures fan-out, not them.
    os.environ.setdefault("ORCHESTRA_ANONYMOUS_RATE_LIMIT", "100000")
    os.environ.setdefault("ORCHESTRA_RATE_LIMIT", "100000")
    os.environ.setdefault("ORCHESTRA_COST_BUDGETS", "admin=1000000000")
    url = fresh_database(DATABASE)
    redis, redis_url = start_redis()
    try:
        secret = admin_token(url)
        with serving(url, workers=args.workers, port=free_port(), redis_url=redis_url) as graphql:
            base = graphql.removesuffix("/graphql")
            for query, variables in SETUP:
                body = post(graphql, {"query": query, "variables": variables}, secret)
                assert "errors" not in body, body
            orchestra = None
            if args.feed in ("availability", "all"):
                orchestra = asyncio.run(orchestra_run(base, secret, args))
            orders: list[tuple[str, Latencies, int]] = []
            if args.feed in ("orders", "all"):
                from bench.fanout_orders import orders_run

                orders = orders_run(base, secret, args)
        bare, bare_base = start_bare(redis_url, args.workers)
        try:
            floor = asyncio.run(bare_run(bare_base, args))
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait(timeout=15)
    finally:
        redis.kill()
        drop_database(DATABASE)
    expected = args.subscribers * args.changes
    print(
        f"fan-out: {args.subscribers} subscribers, {args.changes} changes every {args.interval} s, "
        f"{args.workers} workers + Redis (shared 2-core machine)"
    )
    print(f"  bare Redis pub/sub -> WebSocket: {floor.summary(expected)}")
    bare_p50 = statistics.median(floor.from_send)
    runs = [("availabilityChanged", orchestra, expected)] if orchestra is not None else []
    for name, latencies, wanted in runs + orders:
        print(f"  orchestra {name}: {latencies.summary(wanted)}")
        ratio = statistics.median(latencies.from_send) / bare_p50
        print(f"    p50 ratio orchestra / bare: {ratio:.1f}x")


if __name__ == "__main__":
    main()
