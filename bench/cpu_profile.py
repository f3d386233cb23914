"""Where a request's CPU goes: the app in-process under cProfile, no network, no load generator.

    .venv/bin/python bench/cpu_profile.py products [--requests 400] [--concurrency 32]
                                     [--compiled 0|1] [--out bench/profiles/NAME.txt]
    workloads: products, cart, breakdown, set (inventorySet of 1,000)
    --bare: the same question to the bare Starlette + asyncpg endpoint in this process
    (bench/bare_products.py, bare_atp.py), for an in-process ratio
    BENCH_DATABASE names the scratch database (default orchestra_bench_profile)

Makes (or with --keep reuses) a scratch PostgreSQL database with the demo data, builds the
Starlette app as `orchestra serve` does (response cache off), sends the requests straight
to the ASGI app from `--concurrency` tasks, and prints the functions with the most own
time and the most cumulative time. What remains next to SQL is the GraphQL layer's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench.common import admin_token, asyncpg_dsn, drop_database, fresh_database, orchestra, started

DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_profile")
CPU_SECONDS: list[float] = []  # this process's CPU time for the measured requests
PRODUCTS = """query { products(first: 20) { edges { node { title
  variants { sku price(channel: "web") { amount } } } } } }"""
CART = """query($skus: [String!]!) { availability(channel: "web", skus: $skus) {
  sku available shipAvailable pickupAvailable nextIncoming { expectedAt } } }"""
BREAKDOWN = """query($skus: [String!]!) { availability(channel: "web", skus: $skus) {
  sku available shipAvailable pickupAvailable locations { location { code } available }
  nextIncoming { expectedAt } } }"""
SET = """mutation($updates: [InventorySetInput!]!) { inventorySet(updates: $updates) {
  applied stale userErrors { field code } } }"""


async def _names(dsn: str) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        skus = [r["sku"] for r in await conn.fetch("SELECT sku FROM variants WHERE NOT is_kit")]
        locations = [r["code"] for r in await conn.fetch("SELECT code FROM locations")]
    finally:
        await conn.close()
    return skus, locations


def bodies(workload: str, skus: list[str], locations: list[str], count: int) -> list[bytes]:
    rng = random.Random(7)
    out = []
    for _ in range(count):
        if workload == "products":
            body: dict[str, Any] = {"query": PRODUCTS}
        elif workload in ("cart", "breakdown"):
            query = CART if workload == "cart" else BREAKDOWN
            body = {"query": query, "variables": {"skus": rng.sample(skus, 5)}}
        else:
            as_of = datetime.now(UTC).isoformat()
            pairs = {(rng.choice(skus), rng.choice(locations)) for _ in range(1000)}
            updates = [
                {"sku": s, "location": loc, "onHand": rng.randint(0, 40), "asOf": as_of}
                for s, loc in pairs
            ]
            body = {"query": SET, "variables": {"updates": updates}}
        out.append(json.dumps(body).encode())
    return out


def bare_bodies(workload: str, skus: list[str], count: int) -> list[bytes]:
    """The same questions for the bare endpoints (bench/bare_products.py, bare_atp.py)."""
    rng = random.Random(7)
    out = []
    for _ in range(count):
        if workload == "products":
            body: dict[str, Any] = {"first": 20, "channel": "web"}
        else:
            body = {"channel": "web", "skus": rng.sample(skus, 5)}
            body["locations"] = workload == "breakdown"
        out.append(json.dumps(body).encode())
    return out


async def call(app: Any, body: bytes, secret: str, path: str = "/graphql") -> bytes:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {secret}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


async def drive(
    url: str,
    secret: str,
    requests: list[bytes],
    concurrency: int,
    profile: bool,
    bare: str | None = None,
) -> float:
    os.environ["ORCHESTRA_DATABASE_URL"] = url
    os.environ["ORCHESTRA_RESPONSE_CACHE_TTL"] = "0"
    path = "/graphql"
    if bare is None:
        from server.app import create_app

        app = create_app()
    else:  # the bare endpoint in this process, driven the same way
        import importlib

        os.environ["BENCH_DSN"] = asyncpg_dsn(url)
        module = "bench.bare_products" if bare == "products" else "bench.bare_atp"
        app = importlib.import_module(module).create_app()
        path = "/products" if bare == "products" else "/availability"
    queue = list(reversed(requests))
    running = await started(app)

    async def worker() -> None:
        while queue:
            answer = await call(app, queue.pop(), secret, path)
            if b'"errors"' in answer or not answer.startswith(b'{"data"'):
                raise RuntimeError(answer[:500].decode())

    for body in requests[:concurrency]:  # warm caches (plans, reference data, tokens)
        await call(app, body, secret, path)
    profiler = cProfile.Profile()
    begun = time.perf_counter()
    cpu = time.process_time()
    if profile:
        profiler.enable()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    profiler.disable()
    elapsed = time.perf_counter() - begun
    CPU_SECONDS.append(time.process_time() - cpu)
    await running.stop()
    profile_path = Path(f"/tmp/{DATABASE}.pstats")
    profiler.dump_stats(profile_path)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=["products", "cart", "breakdown", "set"])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--compiled", choices=["0", "1"], default="1")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--time-only", action="store_true", help="no profiler: ms/request")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument(
        "--bare", action="store_true", help="the bare Starlette + asyncpg endpoint instead"
    )
    args = parser.parse_args()
    os.environ["ORCHESTRA_COMPILED"] = args.compiled

    url = asyncio.run(_existing()) if args.keep else None
    if url is not None:
        orchestra(url, "db", "upgrade")  # a kept database may predate newer migrations
    if url is None:
        url = fresh_database(DATABASE)
        orchestra(url, "demo")
    try:
        secret = admin_token(url)
        skus, locations = asyncio.run(_names(asyncpg_dsn(url)))
        if args.bare:
            if args.workload == "set":
                parser.error("no bare endpoint for inventorySet")
            requests = bare_bodies(args.workload, skus, args.requests)
        else:
            requests = bodies(args.workload, skus, locations, args.requests)
        elapsed = asyncio.run(
            drive(
                url,
                secret,
                requests,
                args.concurrency,
                not args.time_only,
                args.workload if args.bare else None,
            )
        )
    finally:
        if not args.keep:
            drop_database(DATABASE)
    per_request = elapsed / args.requests * 1000
    if args.time_only:
        cpu_ms = CPU_SECONDS[0] / args.requests * 1000
        who = "bare endpoint" if args.bare else _mode(args.compiled)
        print(
            f"{args.workload}, {who}: {cpu_ms:.2f} ms CPU/request "
            f"in this process ({per_request:.2f} ms wall/request at {args.concurrency} at a time)"
        )
        return
    report = io.StringIO()
    who = "bare endpoint" if args.bare else _mode(args.compiled)
    report.write(
        f"{args.workload}, {who}: {args.requests} requests, "
        f"{args.concurrency} at a time, {elapsed:.2f}s under cProfile "
        f"({per_request:.2f} ms/request, profiler overhead included)\n"
    )
    stats = pstats.Stats(f"/tmp/{DATABASE}.pstats", stream=report)
    report.write(by_layer(stats, args.requests))
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    text = report.getvalue().replace(str(Path(sys.prefix)), "<venv>")
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


def _mode(compiled: str) -> str:
    direct = os.environ.get("ORCHESTRA_DIRECT", "1")
    return f"ORCHESTRA_COMPILED={compiled} ORCHESTRA_DIRECT={direct}"


LAYERS = (
    ("server/execution/", "compiled executor (server/execution)"),
    ("/graphql/", "graphql-core"),
    ("/strawberry/", "strawberry (HTTP view, extensions, resolver wrappers)"),
    ("/starlette/", "starlette"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/persistence/", "persistence/ (reads, mappers)"),
    ("/resolvers/", "resolvers/"),
    ("/schema/", "schema/"),
    ("/domain/", "domain/"),
    ("/server/", "server/ (app, access guard, cache, auth)"),
    ("/asyncio/", "asyncio"),
)
WAITS = ("send' of '_socket", "poll' of 'select", "connect' of '_socket")


def by_layer(stats: pstats.Stats, requests: int) -> str:
    """Own time per layer per request; socket sends and the event loop's poll are waits."""
    totals: dict[str, float] = {}
    for (path, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        label = "other (builtins, json, uuid, ...)"
        if any(w in name for w in WAITS):
            label = "waiting on sockets / event loop poll (not CPU)"
        else:
            for marker, layer in LAYERS:
                if marker in path:
                    label = layer
                    break
        totals[label] = totals.get(label, 0.0) + own
    cpu = sum(v for k, v in totals.items() if not k.startswith("waiting"))
    lines = ["Own time per layer (ms per request, under cProfile; share of CPU):"]
    for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = "" if label.startswith("waiting") else f" ({seconds / cpu:.0%})"
        lines.append(f"  {seconds / requests * 1000:7.2f}  {label}{share}")
    return "\n".join(lines) + "\n\n"


async def _existing() -> str | None:
    """The kept database's URL when it exists with the demo data loaded."""
    from sqlalchemy import make_url

    from bench.common import ADMIN_URL

    url = make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url))
    except Exception:
        return None
    try:
        count = await conn.fetchval("SELECT count(*) FROM products")
    except Exception:
        return None
    finally:
        await conn.close()
    return url if count else None


if __name__ == "__main__":
    main()
