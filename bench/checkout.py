"""Issue 8 benchmark on PostgreSQL: checkout throughput and a flash sale.

    .venv/bin/python bench/checkout.py [--seconds 20] [--concurrency 32] [--workers 2]

1. Loads a `web` channel (EUR) over 100 locations (its view counts them all), 2,000 SKUs
   each stocked at 15 random locations, and one flash-sale SKU with 50 units at 3 locations.
2. Creates carts of 3 random SKUs (1-2 units each, a Paris address) through `cartCreate`,
   then completes them through `cartComplete` (payment `tok_ok`, delivery `standard`) over
   `--concurrency` keep-alive connections against `orchestra serve --workers 2`: orders/s
   and latency. Sourcing runs over each SKU's 15 candidate locations of the 100.
3. `orderPlace` of the same carts' lines (one request per order), for comparison.
4. Flash sale: 32 clients each create a 1-unit cart of the flash SKU and complete it,
   repeatedly, 400 attempts in all: orders/s until sold out, and the oversell check
   (allocated units per position never above onHand; exactly 50 orders).
5. The bare endpoint of the same server (`/healthz`, no database) in the same run, so the
   ratio survives the machine being shared.
Each phase also prints CPU milliseconds per request of the server (all its processes) and
of the PostgreSQL backends serving the bench database (from /proc): on a machine shared
with other work req/s depends on the share of the CPU the processes got; CPU per request
does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    SERVER_PIDS,
    admin_token,
    cpu_seconds,
    drop_database,
    fresh_database,
    orchestra,
    serving,
)
from bench.loadgen import LoadResult, _read_response, post_request

# BENCH_DATABASE and BENCH_PORT keep parallel runs on a shared machine apart.
DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_checkout")
SKUS = 2_000
LOCATIONS = 100
STOCKED_AT = 15
FLASH = "FLASH-1"
FLASH_STOCK = {1: 20, 2: 20, 3: 10}
PARIS = {
    "line1": "10 rue de la Paix",
    "city": "Paris",
    "postalCode": "75002",
    "country": "FR",
    "geo": {"latitude": 48.8686, "longitude": 2.3314},
}
CART_CREATE = """mutation($input: CartCreateInput!) { cartCreate(input: $input) {
  cart { id } userErrors { code } } }"""
CART_COMPLETE = """mutation($input: CartCompleteInput!) { cartComplete(input: $input) {
  order { number status total { amount } } userErrors { code } } }"""
ORDER_PLACE = """mutation($input: OrderPlaceInput!) { orderPlace(input: $input) {
  order { number status } userErrors { code } } }"""


def sku(i: int) -> str:
    return f"CK-{i:05d}"


async def load(database_url: str, seed: int = 8) -> None:
    """Fixture data by COPY (not what is measured), then the view through the domain."""
    from domain.inventory.views import ViewSpec, upsert_view
    from persistence.database import Database
    from persistence.uow import SqlUnitOfWork

    rng = random.Random(seed)
    now = datetime.now(UTC)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            channel_id = await conn.fetchval(
                "INSERT INTO channels (code, name, currency, created_at) "
                "VALUES ('web', 'Web', 'EUR', $1) RETURNING id",
                now,
            )
            await conn.copy_records_to_table(
                "locations",
                columns=[
                    "id",
                    "code",
                    "name",
                    "kind",
                    "latitude",
                    "longitude",
                    "can_ship",
                    "can_pickup",
                    "daily_capacity",
                    "open_fulfillments",
                    "created_at",
                ],
                records=[
                    (
                        i,
                        f"ck-loc-{i:03d}",
                        f"Location {i}",
                        "WAREHOUSE" if i % 4 == 0 else "STORE",
                        43 + rng.random() * 7,
                        -1 + rng.random() * 8,
                        True,
                        i % 4 != 0,
                        None,
                        0,
                        now,
                    )
                    for i in range(1, LOCATIONS + 1)
                ],
            )
            count = SKUS + 1
            await conn.copy_records_to_table(
                "products",
                columns=["id", "handle", "title", "created_at"],
                records=[(i, f"ck-{i}", f"Product {i}", now) for i in range(1, count + 1)],
            )
            await conn.copy_records_to_table(
                "variants",
                columns=["id", "product_id", "sku", "title", "is_kit"],
                records=[
                    (i, i, sku(i) if i <= SKUS else FLASH, "Default", False)
                    for i in range(1, count + 1)
                ],
            )
            await conn.copy_records_to_table(
                "prices",
                columns=["variant_id", "channel_id", "amount"],
                records=[
                    (i, channel_id, Decimal(rng.choice(("9.90", "19.90", "24.50", "49.00"))))
                    for i in range(1, count + 1)
                ],
            )
            positions = [
                (v, loc, 10_000, 0, 0, 0, 0, now)
                for v in range(1, SKUS + 1)
                for loc in rng.sample(range(1, LOCATIONS + 1), STOCKED_AT)
            ]
            positions += [(count, loc, n, 0, 0, 0, 0, now) for loc, n in FLASH_STOCK.items()]
            await conn.copy_records_to_table(
                "inventory_positions",
                columns=[
                    "variant_id",
                    "location_id",
                    "on_hand",
                    "allocated",
                    "reserved",
                    "safety_stock",
                    "unsellable",
                    "updated_at",
                ],
                records=positions,
            )
            for table in ("locations", "products", "variants"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    db = Database(database_url)
    try:
        spec = ViewSpec("web", tuple(f"ck-loc-{i:03d}" for i in range(1, LOCATIONS + 1)))
        await upsert_view("web", spec, SqlUnitOfWork(db), now)
    finally:
        await db.dispose()


def request(url: str, token: str, query: str, variables: dict[str, Any]) -> bytes:
    return post_request(
        url, {"query": query, "variables": variables}, {"Authorization": f"Bearer {token}"}
    )


async def closed_loop(
    url: str, work: list[bytes], concurrency: int, seconds: float | None = None
) -> tuple[LoadResult, list[dict[str, Any]]]:
    """Each of `concurrency` connections takes the next request of `work` until it is done
    (or `seconds` pass); returns timings and the decoded answers."""
    parts = urlsplit(url)
    queue = list(reversed(work))
    latencies: list[float] = []
    answers: list[dict[str, Any]] = []
    errors = 0
    deadline = time.perf_counter() + (seconds or 1e9)

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while queue and time.perf_counter() < deadline:
                body = queue.pop()
                started = time.perf_counter()
                writer.write(body)
                status, raw = await _read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                answer = json.loads(raw)
                if status != 200 or "errors" in answer:
                    errors += 1
                answers.append(answer)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(len(latencies), errors, time.perf_counter() - started, latencies), answers


def outcomes(answers: list[dict[str, Any]], field: str) -> Counter[str]:
    counted: Counter[str] = Counter()
    for answer in answers:
        payload = (answer.get("data") or {}).get(field)
        if payload is None:
            errors = answer.get("errors") or [{}]
            code = (errors[0].get("extensions") or {}).get("code", "?")
            counted[f"ERROR {code}"] += 1
        elif payload["userErrors"]:
            counted[payload["userErrors"][0]["code"]] += 1
        else:
            counted["ORDER"] += 1
    return counted


def cart_lines(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"sku": sku(i), "quantity": rng.randint(1, 2)} for i in rng.sample(range(1, SKUS + 1), 3)
    ]


async def make_carts(
    url: str, token: str, specs: list[list[dict[str, Any]]], concurrency: int
) -> tuple[LoadResult, list[str]]:
    work = [
        request(
            url,
            token,
            CART_CREATE,
            {
                "input": {
                    "channel": "web",
                    "lines": lines,
                    "customerEmail": f"c{i % 500}@example.com",
                    "shippingAddress": PARIS,
                }
            },
        )
        for i, lines in enumerate(specs)
    ]
    timing, answers = await closed_loop(url, work, concurrency)
    ids = [a["data"]["cartCreate"]["cart"]["id"] for a in answers if a.get("data")]
    return timing, ids


def complete(url: str, token: str, cart_id: str) -> bytes:
    data = {
        "cartId": cart_id,
        "payment": {"gateway": "test", "token": "tok_ok"},
        "deliveryOption": "standard",
    }
    return request(url, token, CART_COMPLETE, {"input": data})


async def flash_sale(url: str, token: str, attempts: int, clients: int) -> dict[str, Any]:
    specs = [[{"sku": FLASH, "quantity": 1}] for _ in range(attempts)]
    _, carts = await make_carts(url, token, specs, clients)
    timing, answers = await closed_loop(url, [complete(url, token, c) for c in carts], clients)
    counted = outcomes(answers, "cartComplete")
    # Orders/s while there was something to sell: the time until the last order came back.
    return {"timing": timing, "outcomes": counted}


async def oversold(database_url: str) -> list[tuple[Any, ...]]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT variant_id, location_id, on_hand, allocated, reserved FROM inventory_positions "
            "WHERE allocated + reserved > on_hand OR allocated < 0 OR reserved < 0"
        )
        flash = await conn.fetchrow(
            "SELECT sum(p.allocated) AS allocated, sum(p.on_hand) AS on_hand FROM inventory_positions p "
            "JOIN variants v ON v.id = p.variant_id WHERE v.sku = $1",
            FLASH,
        )
        return [tuple(r) for r in rows] + [
            ("flash allocated/onHand", flash["allocated"], flash["on_hand"])
        ]
    finally:
        await conn.close()


def postgres_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving `database`, found by their
    process titles (`postgres: ... <user> <database> <client> ...`): no connection needed
    on a server whose connection slots are all taken. A backend that exits during a phase
    takes its CPU time with it (the server's pools keep theirs open)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
            if not (title.startswith("postgres: ") and f" {database} " in title):
                continue
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class CpuMeter:
    """Server and PostgreSQL CPU per request over a phase of the run."""

    def __init__(self, endpoint: str) -> None:
        self.pid = SERVER_PIDS[endpoint]
        self.server = cpu_seconds(self.pid)
        self.postgres = postgres_cpu(DATABASE)

    def per_request(self, requests: int) -> str:
        server = (cpu_seconds(self.pid) - self.server) / max(requests, 1) * 1000
        postgres = (postgres_cpu(DATABASE) - self.postgres) / max(requests, 1) * 1000
        return f"  CPU per request: server {server:.1f} ms, PostgreSQL {postgres:.1f} ms"


async def bare(url: str, seconds: float, concurrency: int) -> LoadResult:
    from bench.loadgen import run_load

    health = url.replace("/graphql", "/healthz")
    parts = urlsplit(health)
    raw = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    return await run_load(health, raw, concurrency=concurrency, duration=seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--carts", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8797")))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = fresh_database(DATABASE)
    try:
        asyncio.run(load(url))
        token = admin_token(url)
        storefront = orchestra(
            url,
            "token",
            "create",
            "--kind",
            "storefront",
            "--name",
            "shop",
            "--scopes",
            "orders:write,catalog:read",
            "--channel",
            "web",
        ).split()[-1]
        rng = random.Random(11)
        specs = [cart_lines(rng) for _ in range(args.carts)]
        with serving(url, workers=args.workers, port=args.port) as endpoint:
            c = args.concurrency
            meter = CpuMeter(endpoint)
            made, carts = asyncio.run(make_carts(endpoint, storefront, specs, c))
            print(made.summary(f"cartCreate (3 lines), {c} connections"))
            print(meter.per_request(made.requests))
            work = [complete(endpoint, storefront, cart) for cart in carts]
            meter = CpuMeter(endpoint)
            timing, answers = asyncio.run(closed_loop(endpoint, work, c, args.seconds))
            print(timing.summary(f"cartComplete (3 lines, 100 locations), {c} connections"))
            print(f"  outcomes: {dict(outcomes(answers, 'cartComplete'))}")
            print(meter.per_request(timing.requests))
            placed = [
                request(
                    endpoint,
                    token,
                    ORDER_PLACE,
                    {
                        "input": {
                            "channel": "web",
                            "lines": lines,
                            "email": "m@example.com",
                            "shippingAddress": PARIS,
                            "deliveryOption": "standard",
                            "payment": {"gateway": "test", "token": "tok_ok"},
                        }
                    },
                )
                for lines in specs
            ]
            meter = CpuMeter(endpoint)
            timing2, answers2 = asyncio.run(closed_loop(endpoint, placed, c, args.seconds / 2))
            print(timing2.summary(f"orderPlace (3 lines), {c} connections"))
            print(f"  outcomes: {dict(outcomes(answers2, 'orderPlace'))}")
            print(meter.per_request(timing2.requests))
            sale = asyncio.run(flash_sale(endpoint, storefront, 400, 32))
            print(sale["timing"].summary("flash sale, 1 SKU, 50 units, 400 attempts, 32 clients"))
            print(f"  outcomes: {dict(sale['outcomes'])}")
            meter = CpuMeter(endpoint)
            health = asyncio.run(bare(endpoint, args.seconds / 2, c))
            print(health.summary(f"bare endpoint /healthz, same server, {c} connections"))
            print(meter.per_request(health.requests))
            print(f"  cartComplete / bare = {timing.rps / health.rps:.1%}")
        problems = asyncio.run(oversold(url))
        *bad, flash = problems
        print(f"oversell check: {len(bad)} positions with allocated + reserved > onHand; {flash}")
        if bad or sale["outcomes"]["ORDER"] != 50 or flash[1] != 50:
            raise SystemExit("OVERSOLD or wrong count: see above")
    finally:
        if not args.keep:
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
