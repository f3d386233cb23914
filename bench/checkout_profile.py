"""Where a checkout's CPU and statements go: bench/checkout.py's data, the app in-process.

    .venv/bin/python bench/checkout_profile.py [complete|place|flash] [--requests 300]
                                              [--concurrency 32] [--time-only] [--keep]

Loads bench/checkout.py's fixture (a `web` channel over 100 locations, 2,000 SKUs at 15
random locations each, a 50-unit flash SKU) into a scratch PostgreSQL database, builds the
Starlette app as `orchestra serve` does, creates the carts (not measured), then sends the
measured mutations straight to the ASGI app from `--concurrency` tasks:
- `complete`: cartComplete of 3-line carts; `place`: orderPlace of the same lines;
- `flash`: cartComplete of 1-unit carts of the flash SKU (50 win, the rest are refused).
Prints CPU ms per request in this process, SQL statements per request (by statement
shape), and, unless --time-only, cProfile's own time per layer and the top functions.
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
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import event

from bench.checkout import (
    CART_COMPLETE,
    CART_CREATE,
    FLASH,
    ORDER_PLACE,
    PARIS,
    cart_lines,
    load,
    postgres_cpu,
)
from bench.common import admin_token, asyncpg_dsn, drop_database, fresh_database, orchestra, started
from bench.cpu_profile import by_layer, call

DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_checkout_profile")
PSTATS = f"/tmp/{DATABASE}.pstats"  # per database: parallel runs do not overwrite each other


async def sample_waits(url: str, sampler: asyncio.Future[int], every: float = 0.02) -> Counter[str]:
    """What the database's sessions are doing, sampled every `every` seconds until
    cancelled: (state, wait event, statement) per busy backend of this database.
    `sampler` gets this session's backend pid (its CPU is not the checkouts')."""
    seen: Counter[str] = Counter()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    sampler.set_result(conn.get_server_pid())
    try:
        while True:
            rows = await conn.fetch(
                "SELECT state, wait_event_type, wait_event, left(query, 50) AS query "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            seen["(samples)"] += 1
            for r in rows:
                what = f"{r['wait_event_type'] or 'CPU'}:{r['wait_event'] or '-'}"
                seen[f"{r['state']:<20} {what:<28} {' '.join(r['query'].split())}"] += 1
            await asyncio.sleep(every)
    except asyncio.CancelledError:
        return seen
    finally:
        await conn.close()


def _shape(statement: str) -> str:
    """A statement's first words and table: what it is, without its parameters."""
    flat = " ".join(statement.split())
    found = re.search(r"\b(FROM|INTO|UPDATE)\s+(\w+)", flat)
    return f"{flat[:60]}... [{found.group(2) if found else '?'}]"


async def run(
    url: str,
    admin: str,
    storefront: str,
    workload: str,
    count: int,
    concurrency: int,
    profile: bool,
    cpu_clock: bool = False,
) -> dict[str, Any]:
    os.environ["ORCHESTRA_DATABASE_URL"] = url
    os.environ["ORCHESTRA_RESPONSE_CACHE_TTL"] = "0"
    from server.app import create_app

    app = create_app()
    running = await started(app)
    rng = random.Random(11)
    total = count + concurrency  # the first `concurrency` warm caches
    if workload == "flash":
        specs = [[{"sku": FLASH, "quantity": 1}] for _ in range(total)]
    else:
        specs = [cart_lines(rng) for _ in range(total)]
    bodies: list[tuple[bytes, str]] = []
    if workload == "place":
        for lines in specs:
            payload = {
                "channel": "web",
                "lines": lines,
                "email": "m@example.com",
                "shippingAddress": PARIS,
                "deliveryOption": "standard",
                "payment": {"gateway": "test", "token": "tok_ok"},
            }
            body = {"query": ORDER_PLACE, "variables": {"input": payload}}
            bodies.append((json.dumps(body).encode(), admin))
    else:
        for i, lines in enumerate(specs):
            made = {
                "channel": "web",
                "lines": lines,
                "customerEmail": f"c{i % 500}@example.com",
                "shippingAddress": PARIS,
            }
            body = {"query": CART_CREATE, "variables": {"input": made}}
            answer = json.loads(await call(app, json.dumps(body).encode(), storefront))
            cart_id = answer["data"]["cartCreate"]["cart"]["id"]
            data = {
                "cartId": cart_id,
                "payment": {"gateway": "test", "token": "tok_ok"},
                "deliveryOption": "standard",
            }
            completion = {"query": CART_COMPLETE, "variables": {"input": data}}
            bodies.append((json.dumps(completion).encode(), storefront))

    statements: list[str] = []
    engine = app.state.services.db.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    outcomes: Counter[str] = Counter()

    async def one(body: bytes, secret: str) -> None:
        answer = json.loads(await call(app, body, secret))
        if answer.get("errors"):
            raise RuntimeError(str(answer)[:500])
        payload = next(iter(answer["data"].values()))
        outcomes[payload["userErrors"][0]["code"] if payload["userErrors"] else "ORDER"] += 1

    warm, measured = bodies[:concurrency], list(reversed(bodies[concurrency:]))
    await asyncio.gather(*(one(b, s) for b, s in warm))
    outcomes.clear()

    async def worker() -> None:
        while measured:
            await one(*measured.pop())

    event.listen(engine, "before_cursor_execute", record)
    sampler: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    sampling = asyncio.create_task(sample_waits(url, sampler))
    sampler_pid = await sampler
    # The process's CPU clock leaves out the time the process waited for a core (on a
    # shared machine the wall clock charges that to whatever was running, often a send).
    profiler = cProfile.Profile(time.process_time) if cpu_clock else cProfile.Profile()
    postgres = postgres_cpu(DATABASE, exclude={sampler_pid})
    begun, cpu = time.perf_counter(), time.process_time()
    if profile:
        profiler.enable()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    profiler.disable()
    elapsed, cpu = time.perf_counter() - begun, time.process_time() - cpu
    postgres = postgres_cpu(DATABASE, exclude={sampler_pid}) - postgres
    event.remove(engine, "before_cursor_execute", record)
    sampling.cancel()
    waits = await sampling
    await running.stop()
    profiler.dump_stats(PSTATS)
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "postgres": postgres,
        "statements": statements,
        "outcomes": outcomes,
        "waits": waits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "workload", nargs="?", default="complete", choices=["complete", "place", "flash"]
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--time-only", action="store_true", help="no profiler")
    parser.add_argument(
        "--cpu-clock", action="store_true", help="profile with the process's CPU clock"
    )
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = fresh_database(DATABASE)
    try:
        asyncio.run(load(url))
        admin = admin_token(url)
        storefront = orchestra(
            url, "token", "create", "--kind", "storefront", "--name", "shop",
            "--scopes", "orders:write,catalog:read", "--channel", "web",
        ).split()[-1]  # fmt: skip
        result = asyncio.run(
            run(
                url,
                admin,
                storefront,
                args.workload,
                args.requests,
                args.concurrency,
                not args.time_only,
                args.cpu_clock,
            )
        )
    finally:
        if not args.keep:
            drop_database(DATABASE)
    n = args.requests
    report = io.StringIO()
    report.write(
        f"{args.workload}: {n} requests, {args.concurrency} at a time, "
        f"{result['elapsed']:.2f}s wall ({result['elapsed'] / n * 1000:.2f} ms/request), "
        f"{result['cpu'] / n * 1000:.2f} ms CPU/request in this process"
        f"{' (under cProfile)' if not args.time_only else ''}, "
        f"{result['postgres'] / n * 1000:.2f} ms in PostgreSQL; "
        f"outcomes {dict(result['outcomes'])}\n"
    )
    shapes = Counter(_shape(s) for s in result["statements"])
    report.write(f"SQL statements per request: {len(result['statements']) / n:.1f}\n")
    for shape, seen in shapes.most_common():
        report.write(f"  {seen / n:5.2f}  {shape}\n")
    waits = result["waits"]
    samples = waits.pop("(samples)", 1)
    report.write(f"\nBusy database sessions, mean per sample ({samples} samples):\n")
    for what, seen in waits.most_common(25):
        report.write(f"  {seen / samples:6.2f}  {what}\n")
    report.write("\n")
    if not args.time_only:
        stats = pstats.Stats(PSTATS, stream=report)
        report.write(by_layer(stats, n))
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats("/work/|orchestra", args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    text = report.getvalue().replace(str(Path(sys.prefix)), "<venv>")
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
