"""Issue 2/10 benchmark: the storefront product listing on PostgreSQL with the demo data.

    .venv/bin/python bench/products.py [--seconds 5] [--rounds 3] [--concurrency 32]
                                       [--workers 1] [--modes compiled,graphql-core,cached]

Creates a scratch database (orchestra_bench_products), loads `orchestra demo`, and in one
run drives the query below over 32 keep-alive connections against:
- `orchestra serve`, response cache off, compiled execution on (the default);
- the same with graphql-core's executor (ORCHESTRA_COMPILED=0);
- the same with the 1-second response cache on;
- a bare Starlette + asyncpg endpoint (bench/bare_products.py) serving the same JSON
  from the same three statements.
The measured rounds alternate between the servers (one running at a time). Prints
requests/s, latency percentiles, the server's CPU per request (from /proc, whatever share
of the CPU it was given) and each one's ratio to the bare endpoint; the ratios are the
figures that last on a machine shared with others.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    SERVER_PIDS,
    admin_token,
    asyncpg_dsn,
    bare_serving,
    cpu_seconds,
    drop_database,
    fresh_database,
    orchestra,
    post_json,
    serving,
    sessions,
)
from bench.loadgen import Figures, LoadResult, post_request, run_load

QUERY = """query { products(first: 20) { edges { node { title
  variants { sku price(channel: "web") { amount } } } } } }"""
# BENCH_DATABASE and BENCH_PORT keep parallel runs on a shared machine apart.
DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_products")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
MODES = {
    "compiled": {"ORCHESTRA_RESPONSE_CACHE_TTL": "0", "ORCHESTRA_COMPILED": "1"},
    # Compiled, but through strawberry's Schema.execute and its extensions (server/pipeline.py).
    "extensions": {
        "ORCHESTRA_RESPONSE_CACHE_TTL": "0",
        "ORCHESTRA_COMPILED": "1",
        "ORCHESTRA_DIRECT": "0",
    },
    "graphql-core": {"ORCHESTRA_RESPONSE_CACHE_TTL": "0", "ORCHESTRA_COMPILED": "0"},
    "cached": {"ORCHESTRA_RESPONSE_CACHE_TTL": "1", "ORCHESTRA_COMPILED": "1"},
}
BARE_PORT = PORT + 2


def measure(
    url: str, request: bytes, pid: int, args: argparse.Namespace, database: str | None = None
) -> tuple[LoadResult, float, int]:
    """A 2-second warm-up, then the measured run: its figures, the server's CPU seconds
    and the PostgreSQL connections opened on `database` during it."""
    asyncio.run(run_load(url, request, concurrency=args.concurrency, duration=2))
    cpu = cpu_seconds(pid)
    opened = sessions(database) if database else 0
    result = asyncio.run(
        run_load(url, request, concurrency=args.concurrency, duration=args.seconds)
    )
    new = sessions(database) - opened if database else 0
    return result, cpu_seconds(pid) - cpu, new


def _data(answer: object) -> object:
    return answer.get("data") if isinstance(answer, dict) else answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6, help="per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]

    url = fresh_database(DATABASE)
    figures = {mode: Figures() for mode in [*modes, "bare"]}
    connections = dict.fromkeys(modes, 0)
    answers: dict[str, object] = {}
    try:
        print(orchestra(url, "demo").strip())
        secret = admin_token(url)
        auth = {"Authorization": f"Bearer {secret}"}
        # Rounds alternate between the servers (one running at a time, so PostgreSQL
        # connections stay few), and a change in how busy the shared machine is affects
        # every mode alike.
        for _ in range(args.rounds):
            for mode in modes:
                with serving(url, workers=args.workers, env=MODES[mode], port=PORT) as endpoint:
                    answers[mode] = post_json(endpoint, {"query": QUERY}, auth)
                    request = post_request(endpoint, {"query": QUERY}, auth)
                    result, cpu, opened = measure(
                        endpoint, request, SERVER_PIDS[endpoint], args, url
                    )
                    figures[mode].add(result, cpu)
                    connections[mode] += opened
            with bare_serving(
                "bench.bare_products:create_app",
                asyncpg_dsn(url),
                args.workers,
                BARE_PORT,
                "/products",
                b"{}",
            ) as (bare_url, pid):
                answers["bare"] = post_json(bare_url, {})
                request = post_request(bare_url, {}, {})
                result, cpu, _ = measure(bare_url, request, pid, args)
                figures["bare"].add(result, cpu)
    finally:
        if not args.keep:
            drop_database(DATABASE)

    label = f"{args.workers} worker(s), {args.concurrency} connections, PostgreSQL"
    bare = figures["bare"]
    for mode, result in figures.items():
        # `data` only: the GraphQL answer also carries the query cost in `extensions`.
        equal = _data(answers[mode]) == _data(answers["bare"])
        same = "same data as bare" if equal else "DATA DIFFERS from bare"
        print(result.summary(f"products(first: 20) {mode} ({label}; {same})"))
    for mode in modes:
        result = figures[mode]
        print(
            f"{mode} / bare: throughput {result.rps / bare.rps:.0%}, CPU per request "
            f"{bare.cpu_ms / result.cpu_ms:.0%} of bare's efficiency; PostgreSQL connections "
            f"opened while measuring: {connections[mode]}"
        )


if __name__ == "__main__":
    main()
