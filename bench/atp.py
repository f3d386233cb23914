"""Issue 3 benchmarks on PostgreSQL: availability to promise and batch ingest.

    .venv/bin/python bench/atp.py [--seconds 5] [--rounds 3] [--concurrency 32] [--workers 2]

1. Loads 10,000 SKUs x 100 locations (1,000,000 positions) into a scratch database
   (orchestra_bench_atp) and gives the `web` channel a 50-location view.
2. Availability of a 5-SKU cart (`availability(channel, skus)`), 32 connections, against
   `orchestra serve --workers 2` in each mode (compiled; compiled through strawberry's
   extensions, ORCHESTRA_DIRECT=0; graphql-core, ORCHESTRA_COMPILED=0) and against a bare
   Starlette + asyncpg endpoint (bench/bare_atp.py, 2 uvicorn workers) running the same
   SQL, in rounds that alternate between them; figures are over all rounds.
3. inventorySet batches of 1,000 absolute counts over HTTP, both ways: updates/s.
   (`--skip-availability` runs only this; `--batches 0` skips it.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.atp_data import LOCATIONS, SKUS, VIEW_LOCATIONS, load, location, sku
from bench.common import (
    SERVER_PIDS,
    admin_token,
    asyncpg_dsn,
    bare_serving,
    cpu_seconds,
    drop_database,
    fresh_database,
    serving,
    sessions,
)
from bench.loadgen import Figures, LoadResult, post_request, run_load

# BENCH_DATABASE and BENCH_PORT keep parallel runs on a shared machine apart.
DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_atp")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
MODES = {
    "compiled": {"ORCHESTRA_COMPILED": "1"},
    # Compiled, but through strawberry's Schema.execute and its extensions (server/pipeline.py).
    "extensions": {"ORCHESTRA_COMPILED": "1", "ORCHESTRA_DIRECT": "0"},
    "graphql-core": {"ORCHESTRA_COMPILED": "0"},
}
# The checkout cart check (totals and the backorder date) and the store-pickup picker
# (every location's contribution); the bare endpoint answers each with the same fields.
QUERIES = {
    "cart check": """query($skus: [String!]!) { availability(channel: "web", skus: $skus) {
  sku available shipAvailable pickupAvailable nextIncoming { expectedAt } } }""",
    "with per-location breakdown": """query($skus: [String!]!) {
  availability(channel: "web", skus: $skus) {
  sku available shipAvailable pickupAvailable locations { location { code } available }
  nextIncoming { expectedAt } } }""",
}
SET = """mutation($updates: [InventorySetInput!]!) { inventorySet(updates: $updates) {
  applied stale userErrors { field code } } }"""


def carts(count: int, rng: random.Random) -> list[list[str]]:
    return [[sku(rng.randint(1, SKUS)) for _ in range(5)] for _ in range(count)]


def _send_batches(endpoint: str, secret: str, batches: int, locations: list[int], seed: int) -> int:
    """One sender: `batches` inventorySet calls of 1,000 counts at its own locations."""
    rng = random.Random(seed)
    applied = 0
    for _ in range(batches):
        as_of = datetime.now(UTC).isoformat()
        updates = {
            (sku(rng.randint(1, SKUS)), loc): rng.randint(0, 40)
            for loc in rng.sample(locations, 10)
            for _ in range(100)
        }
        body = json.dumps(
            {
                "query": SET,
                "variables": {
                    "updates": [
                        {"sku": s, "location": location(loc), "onHand": n, "asOf": as_of}
                        for (s, loc), n in updates.items()
                    ]
                },
            }
        ).encode()
        request = urllib.request.Request(
            endpoint,
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            result = json.load(response)["data"]["inventorySet"]
        assert not result["userErrors"], result["userErrors"][:3]
        applied += result["applied"]
    return applied


def ingest(endpoint: str, secret: str, batches: int, senders: int) -> tuple[float, int]:
    """inventorySet calls of 1,000 counts from `senders` systems at once (each its own
    locations, as an ERP per region would); returns (updates/s, applied)."""
    groups = [
        [loc for loc in range(1, LOCATIONS + 1) if loc % senders == i] for i in range(senders)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        futures = [
            pool.submit(_send_batches, endpoint, secret, batches // senders, group, i)
            for i, group in enumerate(groups)
        ]
        applied = sum(f.result() for f in futures)
    return applied / (time.perf_counter() - started), applied


def measure(
    url: str, requests: list[bytes], args: argparse.Namespace, pid: int
) -> tuple[LoadResult, float]:
    """A 3-second warm-up, then the measured run and the server's CPU seconds during it
    (all its processes, from /proc), which does not depend on how busy the machine was."""
    asyncio.run(run_load(url, requests, concurrency=args.concurrency, duration=3))
    cpu = cpu_seconds(pid)
    result = asyncio.run(
        run_load(url, requests, concurrency=args.concurrency, duration=args.seconds)
    )
    return result, cpu_seconds(pid) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5, help="per server, query and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--senders", type=int, default=4, help="concurrent inventorySet callers")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--skip-availability", action="store_true", help="inventorySet only")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    rng = random.Random(11)

    url = fresh_database(DATABASE)
    try:
        started = time.perf_counter()
        asyncio.run(load(url))
        print(
            f"data set: {SKUS:,} SKUs x {LOCATIONS} locations = {SKUS * LOCATIONS:,} positions, "
            f"view of {VIEW_LOCATIONS} locations, loaded in {time.perf_counter() - started:.1f}s"
        )
        secret = admin_token(url)
        cart_list = carts(500, rng)
        auth = {"Authorization": f"Bearer {secret}"}
        label = (
            f"{args.workers} workers, {args.concurrency} connections, 5-SKU carts, "
            f"{VIEW_LOCATIONS}-location view"
        )
        figures: dict[tuple[str, str], Figures] = defaultdict(Figures)
        connections = dict.fromkeys(modes, 0)
        # Rounds alternate between the servers (one running at a time): this machine's
        # speed drifts by tens of percent within minutes, and alternating spreads a drift
        # over every server alike, so the ratios compare like with like.
        for _ in range(0 if args.skip_availability else args.rounds):
            for mode in modes:
                with serving(url, workers=args.workers, env=MODES[mode], port=PORT) as endpoint:
                    opened = sessions(url)
                    for name, query in QUERIES.items():
                        requests = [
                            post_request(endpoint, {"query": query, "variables": {"skus": c}}, auth)
                            for c in cart_list
                        ]
                        pid = SERVER_PIDS[endpoint]
                        figures[(mode, name)].add(*measure(endpoint, requests, args, pid))
                    connections[mode] += sessions(url) - opened
            bare_availability(url, args, cart_list, figures)
        for name in QUERIES if not args.skip_availability else ():
            bare = figures[("bare", name)]
            print(bare.summary(f"bare Starlette+asyncpg, same SQL, {name}"))
            for mode in modes:
                result = figures[(mode, name)]
                print(result.summary(f"GraphQL availability {mode}, {name} ({label})"))
                print(
                    f"{mode} / bare, {name}: throughput {result.rps / bare.rps:.0%}, "
                    f"CPU per request {bare.cpu_ms / result.cpu_ms:.0%} of bare's efficiency"
                )
        for mode in modes:
            if not args.skip_availability:
                print(
                    f"{mode}: PostgreSQL connections opened while serving the availability "
                    f"runs: {connections[mode]}"
                )
            if not args.batches:
                continue
            with serving(url, workers=args.workers, env=MODES[mode], port=PORT) as endpoint:
                # Warm-up: the first batches after the load ran at two thirds of the speed
                # of later ones (cold caches in PostgreSQL and the server), whichever mode
                # came first.
                ingest(endpoint, secret, 2 * args.senders, args.senders)
                cpu = cpu_seconds(SERVER_PIDS[endpoint])
                rate, applied = ingest(endpoint, secret, args.batches, args.senders)
                per_batch = (cpu_seconds(SERVER_PIDS[endpoint]) - cpu) / args.batches * 1000
            trivial = trivial_rate(args)
            bare_rate, bare_per_batch = bare_ingest(url, args)
            print(
                f"inventorySet {mode}, {args.batches} batches of 1,000 over HTTP from "
                f"{args.senders} senders: {rate:,.0f} updates/s ({applied:,} applied); "
                f"server CPU {per_batch:.0f} ms per batch of 1,000; the trivial endpoint "
                f"right after: {trivial:,.0f} req/s, {rate / trivial:.2f} updates per trivial "
                f"request (the issue's target: 20,000 where it did ~8,000, i.e. 2.5); "
                f"bare Starlette+asyncpg, same SQL (bench/bare_ingest.py): "
                f"{bare_rate:,.0f} updates/s, {bare_per_batch:.0f} ms CPU per batch: "
                f"{rate / bare_rate:.0%} of bare"
            )
    finally:
        if not args.keep:
            drop_database(DATABASE)


def trivial_rate(args: argparse.Namespace) -> float:
    """Requests/s of the trivial endpoint (bench/bare_trivial.py: 1 process, 32 connections,
    5 s), the figure issue 10 compares machines by."""
    with bare_serving("bench.bare_trivial:create_app", "", 1, PORT + 2, "/", b"{}") as (url, _):
        request = post_request(url, {}, {})
        asyncio.run(run_load(url, [request], concurrency=32, duration=2))
        return asyncio.run(run_load(url, [request], concurrency=32, duration=5)).rps


def bare_ingest(url: str, args: argparse.Namespace) -> tuple[float, float]:
    """Updates/s and CPU ms per batch of bench/bare_ingest.py (the same SQL and domain rules
    without GraphQL), driven by the same senders after the same warm-up."""
    probe = json.dumps({"variables": {"updates": []}}).encode()
    with bare_serving(
        "bench.bare_ingest:create_app", asyncpg_dsn(url), args.workers, PORT + 3, "/graphql", probe
    ) as (bare_url, pid):
        ingest(bare_url, "", 2 * args.senders, args.senders)
        cpu = cpu_seconds(pid)
        rate, _ = ingest(bare_url, "", args.batches, args.senders)
        return rate, (cpu_seconds(pid) - cpu) / args.batches * 1000


def bare_availability(
    url: str,
    args: argparse.Namespace,
    cart_list: list[list[str]],
    figures: dict[tuple[str, str], Figures],
) -> None:
    """One round of the bare endpoint, both questions (bench/bare_atp.py)."""
    probe = json.dumps({"channel": "web", "skus": cart_list[0]}).encode()
    with bare_serving(
        "bench.bare_atp:create_app",
        asyncpg_dsn(url),
        args.workers,
        PORT + 1,
        "/availability",
        probe,
    ) as (bare_url, pid):
        for name in QUERIES:
            breakdown = "breakdown" in name
            bodies = [
                post_request(bare_url, {"channel": "web", "skus": c, "locations": breakdown}, {})
                for c in cart_list
            ]
            figures[("bare", name)].add(*measure(bare_url, bodies, args, pid))


if __name__ == "__main__":
    main()
