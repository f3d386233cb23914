"""Issue 2 benchmark: the storefront product listing on PostgreSQL with the demo data.

    .venv/bin/python bench/products.py [--seconds 15] [--concurrency 32] [--workers 1]

Creates a scratch database (orchestra_bench_products), loads `orchestra demo`, starts
`orchestra serve` with one worker and drives the query below over 32 keep-alive
connections. Prints requests/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import admin_token, drop_database, fresh_database, orchestra, serving
from bench.loadgen import post_request, run_load

QUERY = """query { products(first: 20) { edges { node { title
  variants { sku price(channel: "web") { amount } } } } } }"""
DATABASE = "orchestra_bench_products"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = fresh_database(DATABASE)
    try:
        print(orchestra(url, "demo").strip())
        secret = admin_token(url)
        with serving(url, workers=args.workers) as endpoint:
            request = post_request(
                endpoint, {"query": QUERY}, {"Authorization": f"Bearer {secret}"}
            )
            asyncio.run(run_load(endpoint, request, concurrency=args.concurrency, duration=3))
            result = asyncio.run(
                run_load(endpoint, request, concurrency=args.concurrency, duration=args.seconds)
            )
        print(
            result.summary(
                f"products(first: 20) with variants and web prices, PostgreSQL, "
                f"{args.workers} worker(s), {args.concurrency} connections"
            )
        )
    finally:
        if not args.keep:
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
