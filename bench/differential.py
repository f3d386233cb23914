"""Issue 10: the long run of the differential test, on PostgreSQL with the demo data.

    .venv/bin/python bench/differential.py [--examples 10000] [--seed 1]

Generates valid queries with hypothesis-graphql against the served schema, aimed at the
demo data (tests/differential_queries.py), runs each on graphql-core's executor and on
its compiled plan, and prints how many were compared, how many differed (must be 0),
how many compiled and how many graphql-core ran alone. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bench.common import drop_database, fresh_database
from domain.tokens.handlers import create_token
from domain.tokens.model import ALLOWED_SCOPES, CreateToken, TokenKind
from persistence.uow import SqlUnitOfWork
from resolvers.context import Context
from server.app import Services, create_schema
from server.demo import load_demo
from server.execution import differential
from server.settings import Settings
from tests.differential_queries import demo_names, generated

DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_differential")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--progress", type=int, default=500, help="print every N queries")
    args = parser.parse_args()
    # Resolver errors are part of the answers compared; strawberry would log each one.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)

    url = fresh_database(DATABASE)
    loop = asyncio.new_event_loop()
    config = Settings(database_url=url, response_cache_ttl=0, compiled=True)
    services = Services(config)
    totals = differential.Recorder(lambda context: context.fresh())
    started = time.perf_counter()
    try:

        async def prepare() -> tuple[Any, Any]:
            await load_demo(services.db)
            scopes = tuple(sorted(ALLOWED_SCOPES[TokenKind.ADMIN]))
            token, _ = await create_token(
                CreateToken("differential", "admin", scopes), SqlUnitOfWork(services.db)
            )
            return token, await demo_names(services.db)

        token, names = loop.run_until_complete(prepare())
        schema = create_schema(config, services.responses)

        async def compare(query: str, variables: dict[str, Any]) -> None:
            differential.use(totals)
            context = Context(
                db=services.db,
                reference=services.reference,
                bus=services.bus,
                token=token,
                request_id="differential",
            )
            await schema.execute(query, variables, context_value=context)

        done = [0]

        @seed(args.seed)
        @settings(
            max_examples=args.examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def run(data: Any) -> None:
            query, variables = data.draw(generated(schema._schema, names))
            loop.run_until_complete(compare(query, variables))
            done[0] += 1
            if done[0] % args.progress == 0:
                print(
                    f"{done[0]:,} queries, {time.perf_counter() - started:.0f}s: "
                    f"{totals.checked:,} compared, {len(totals.differences)} differences",
                    flush=True,
                )

        run()
        plans = schema.execution_context_class.plans
    finally:
        loop.run_until_complete(services.db.dispose())
        loop.close()
        if not args.keep:
            drop_database(DATABASE)
    print(
        f"{args.examples:,} generated queries in {time.perf_counter() - started:.0f}s: "
        f"{totals.checked:,} compared (plan vs graphql-core), "
        f"{len(totals.differences)} differences, {totals.unstable} unstable; "
        f"plans compiled {plans.compiled:,}, run on graphql-core alone {plans.unsupported:,}"
    )
    for difference in totals.differences[:10]:
        print(f"\n{difference}")
    return 1 if totals.differences else 0


if __name__ == "__main__":
    sys.exit(main())
