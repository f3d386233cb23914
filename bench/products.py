"""Issue 2/10 benchmark: the storefront product listing on PostgreSQL with the demo data.

    .venv/bin/python bench/products.py [--seconds 15] [--concurrency 32] [--workers 1]
                                       [--modes compiled,graphql-core,cached]

Creates a scratch database (orchestra_bench_products), loads `orchestra demo`, and in one
run drives the query below over 32 keep-alive connections against:
- `orchestra serve`, response cache off, compiled execution on (the default);
- the same with graphql-core's executor (ORCHESTRA_COMPILED=0);
- the same with the 1-second response cache on;
- a bare Starlette + asyncpg endpoint (bench/bare_products.py) serving the same JSON
  from the same three statements.
Prints requests/s, latency percentiles and each one's ratio to the bare endpoint; the
ratio is the figure that lasts on a machine shared with others.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    admin_token,
    asyncpg_dsn,
    bare_server,
    drop_database,
    fresh_database,
    orchestra,
    post_json,
    serving,
    wait_for,
)
from bench.loadgen import LoadResult, post_request, run_load

QUERY = """query { products(first: 20) { edges { node { title
  variants { sku price(channel: "web") { amount } } } } } }"""
DATABASE = "orchestra_bench_products"
MODES = {
    "compiled": {"ORCHESTRA_RESPONSE_CACHE_TTL": "0", "ORCHESTRA_COMPILED": "1"},
    "graphql-core": {"ORCHESTRA_RESPONSE_CACHE_TTL": "0", "ORCHESTRA_COMPILED": "0"},
    "cached": {"ORCHESTRA_RESPONSE_CACHE_TTL": "1", "ORCHESTRA_COMPILED": "1"},
}
BARE_PORT = 8767


def measure(url: str, request: bytes, args: argparse.Namespace) -> LoadResult:
    """A 3-second warm-up, then the measured run."""
    asyncio.run(run_load(url, request, concurrency=args.concurrency, duration=3))
    return asyncio.run(run_load(url, request, concurrency=args.concurrency, duration=args.seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]

    url = fresh_database(DATABASE)
    results: dict[str, LoadResult] = {}
    connections: dict[str, int] = {}
    try:
        print(orchestra(url, "demo").strip())
        secret = admin_token(url)
        auth = {"Authorization": f"Bearer {secret}"}
        answers = {}
        for mode in modes:
            with serving(url, workers=args.workers, env=MODES[mode]) as endpoint:
                answers[mode] = post_json(endpoint, {"query": QUERY}, auth)
                results[mode] = measure(
                    endpoint, post_request(endpoint, {"query": QUERY}, auth), args
                )
        bare_url = f"http://127.0.0.1:{BARE_PORT}/products"
        process = bare_server(
            "bench.bare_products:create_app", asyncpg_dsn(url), args.workers, BARE_PORT
        )
        try:
            wait_for(bare_url, b"{}")
            answers["bare"] = post_json(bare_url, {})
            results["bare"] = measure(bare_url, post_request(bare_url, {}, {}), args)
        finally:
            process.terminate()
            process.wait(timeout=15)
    finally:
        if not args.keep:
            drop_database(DATABASE)

    label = f"{args.workers} worker(s), {args.concurrency} connections, PostgreSQL"
    for mode, result in results.items():
        same = "same JSON as bare" if answers[mode] == answers["bare"] else "JSON DIFFERS from bare"
        print(result.summary(f"products(first: 20) {mode} ({label}; {same})"))
    for mode, result in results.items():
        if mode != "bare":
            print(
                f"{mode} / bare throughput: {result.rps / results['bare'].rps:.0%}; PostgreSQL "
                f"connections opened during the measured run: {connections[mode]}"
            )


if __name__ == "__main__":
    main()
