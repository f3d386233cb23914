"""What authorization costs per request: the app with its access guard, and the same app
with the guard replaced by a pass-through, side by side in one process.

Requests go straight into the ASGI app (no sockets, no client library), alternating
rounds between the two apps, and CPU time per request is what is compared: on a machine
shared with other work, CPU per request holds still where requests per second do not.
The response cache is off, so every request executes.

    .venv/bin/python bench/access_cost.py [--requests 400] [--rounds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strawberry.extensions import SchemaExtension

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_database, orchestra
from server import app as app_module
from server.settings import Settings

LISTING = """query { products(first: 20, channel: "web") { edges { node { title
  variants { sku price(channel: "web") { amount } } } } } }"""
CART_CHECK = """query($s: [String!]!) { availability(channel: "web", skus: $s) {
  sku available shipAvailable pickupAvailable } }"""


class NoGuard(SchemaExtension):
    """The access guard's place in the pipeline, doing nothing."""

    def on_execute(self) -> Iterator[None]:
        yield


class InProcess:
    """An ASGI app with its lifespan started, called without sockets."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> InProcess:
        started = asyncio.Event()

        async def receive() -> dict[str, Any]:
            return await self._lifespan.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        self._task = asyncio.create_task(self.app({"type": "lifespan"}, receive, send))
        await self._lifespan.put({"type": "lifespan.startup"})
        await started.wait()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._lifespan.put({"type": "lifespan.shutdown"})
        if self._task is not None:
            await self._task

    async def post(self, body: bytes, secret: str) -> int:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "headers": [
                (b"content-type", b"application/json"),
                (b"authorization", f"Bearer {secret}".encode()),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "scheme": "http",
            "http_version": "1.1",
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


async def cpu_per_request(
    client: InProcess, body: bytes, secret: str, requests: int, concurrency: int = 8
) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            status = await client.post(body, secret)
            assert status == 200, status

    start = time.process_time()
    await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
    return (time.process_time() - start) / requests * 1000


def guard_microseconds(schema: Any, query: str, token: Any, variables: dict[str, Any]) -> float:
    """The guard's own work for one request once the document is cached: the cache
    lookup (a digest of the query text) and the check of its policies against a token."""
    from graphql import parse

    from server.access import RequirementsCache, check

    cache = RequirementsCache()
    document = parse(query)
    cache.get(schema, query, None, document)
    runs = 20_000
    start = time.perf_counter()
    for _ in range(runs):
        check(cache.get(schema, query, None, document), token, variables)
    return (time.perf_counter() - start) / runs * 1e6


def build(settings: Settings, guarded: bool) -> Any:
    original = app_module.AccessGuard
    if not guarded:
        app_module.AccessGuard = NoGuard  # type: ignore[misc,assignment]
    try:
        return app_module.create_app(settings)
    finally:
        app_module.AccessGuard = original  # type: ignore[misc]


async def measure(url: str, tokens: dict[str, str], requests: int, rounds: int) -> None:
    settings = replace(Settings.from_env(), database_url=url, response_cache_ttl=0.0)
    settings = replace(
        settings,
        limits=replace(
            settings.limits,
            token_requests_per_second=0,
            anonymous_requests_per_second=0,
            cost_budgets=(),
        ),
    )
    skus = await _skus(url)
    documents: dict[str, bytes] = {
        "listing": json.dumps({"query": LISTING}).encode(),
        "cart check": json.dumps({"query": CART_CHECK, "variables": {"s": skus}}).encode(),
    }
    async with (
        InProcess(build(settings, True)) as guarded,
        InProcess(build(settings, False)) as open_,
    ):
        results: dict[tuple[str, str, str], list[float]] = {}
        for name, body in documents.items():
            for token_name, secret in tokens.items():
                for client in (guarded, open_):  # warm caches and plans
                    await cpu_per_request(client, body, secret, 40)
                for _ in range(rounds):
                    for label, client in (("guard", guarded), ("no guard", open_)):
                        ms = await cpu_per_request(client, body, secret, requests)
                        results.setdefault((name, token_name, label), []).append(ms)
    from domain.tokens.model import SCOPES, ApiToken, TokenKind
    from schema.root import build_schema

    schema = build_schema()._schema
    storefront = ApiToken(
        1, "s", TokenKind.STOREFRONT, frozenset(SCOPES), "web", None, datetime.now(UTC)
    )
    for name, query, variables in (
        ("listing", LISTING, {}),
        ("cart check", CART_CHECK, {"s": skus}),
    ):
        micro = guard_microseconds(schema, query, storefront, variables)
        print(f"guard's own work per request, {name}: {micro:.1f} µs")
    print(f"CPU ms per request, median of {rounds} alternating rounds of {requests}")
    print(f"{'query':<12} {'token':<22} {'guard':>8} {'no guard':>9} {'cost':>7}")
    for name in documents:
        for token_name in tokens:
            on = statistics.median(results[(name, token_name, "guard")])
            off = statistics.median(results[(name, token_name, "no guard")])
            print(
                f"{name:<12} {token_name:<22} {on:>8.3f} {off:>9.3f} {(on / off - 1) * 100:>6.1f}%"
            )


async def _skus(url: str) -> list[str]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT sku FROM variants WHERE NOT is_kit ORDER BY id LIMIT 5")
        )
        found = [row.sku for row in rows]
    await engine.dispose()
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    name = "orchestra_bench_access"
    url = fresh_database(name)
    try:
        orchestra(url, "demo")

        def secret(*options: str) -> str:
            return orchestra(url, "token", "create", *options).split()[-1]

        tokens = {
            "admin (unbound)": secret("--kind", "admin", "--name", "a", "--scopes", "all"),
            "storefront (web)": secret(
                "--kind", "storefront", "--name", "s", "--scopes",
                "catalog:read,inventory:read", "--channel", "web",
            ),
        }  # fmt: skip
        asyncio.run(measure(url, tokens, args.requests, args.rounds))
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
