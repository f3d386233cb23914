"""The floor under the product listing: a bare Starlette + asyncpg endpoint serving the same
JSON as bench/products.py's GraphQL query, from the same three statements the resolver
sends (a keyset page of products, their variants, the variants' prices), with the price
rounded by the same domain rule.

    uvicorn --factory bench.bare_products:create_app   (BENCH_DSN=postgresql://...)
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.money import round_money

PAGE = "SELECT id, handle, title, description, category_id FROM products ORDER BY id LIMIT $1"
VARIANTS = (
    "SELECT id, product_id, sku, title, unit_cost, is_kit FROM variants "
    "WHERE product_id = ANY($1::bigint[]) ORDER BY id"
)
PRICES = "SELECT variant_id, channel_id, amount FROM prices WHERE variant_id = ANY($1::bigint[])"


def create_app() -> Starlette:
    state: dict[str, Any] = {}

    async def products(request: Request) -> Response:
        body = await request.json()
        first = int(body.get("first", 20))
        channel_code = body.get("channel", "web")
        channel_id, currency = state["channels"][channel_code]
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch(PAGE, first + 1)
            page = rows[:first]
            ids = [row["id"] for row in page]
            variants = await conn.fetch(VARIANTS, ids)
            prices = await conn.fetch(PRICES, [v["id"] for v in variants])
        by_product: dict[int, list[Any]] = {}
        for variant in variants:
            by_product.setdefault(variant["product_id"], []).append(variant)
        amounts = {
            row["variant_id"]: row["amount"] for row in prices if row["channel_id"] == channel_id
        }
        edges = []
        for product in page:
            items = []
            for variant in by_product.get(product["id"], ()):
                amount = amounts.get(variant["id"])
                price = None if amount is None else {"amount": str(round_money(amount, currency))}
                items.append({"sku": variant["sku"], "price": price})
            edges.append({"node": {"title": product["title"], "variants": items}})
        payload = {"data": {"products": {"edges": edges}}}
        return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=4, max_size=20)
        state["pool"] = pool
        async with pool.acquire() as conn:
            state["channels"] = {
                row["code"]: (row["id"], row["currency"])
                for row in await conn.fetch("SELECT id, code, currency FROM channels")
            }
        yield
        await pool.close()

    return Starlette(routes=[Route("/products", products, methods=["POST"])], lifespan=lifespan)
