"""The floor under the GraphQL layer: a bare Starlette + asyncpg endpoint answering the
same availability question with the same SQL statements and the same domain formula.

    uvicorn --factory bench.bare_atp:create_app   (BENCH_DSN=postgresql://...)
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.inventory.model import InventoryView, PositionQuantities, sku_atp
from domain.locations.model import GeoPoint, Location, LocationKind

VARIANTS = "SELECT id, sku FROM variants WHERE sku = ANY($1::text[])"
POSITIONS = (
    "SELECT variant_id, location_id, on_hand, allocated, reserved, safety_stock, unsellable "
    "FROM inventory_positions WHERE variant_id = ANY($1::bigint[]) AND location_id = ANY($2::int[])"
)
INCOMING = (
    "SELECT variant_id, quantity, expected_at, reference FROM incoming_supply "
    "WHERE variant_id = ANY($1::bigint[]) AND location_id = ANY($2::int[]) AND expected_at >= $3 "
    "ORDER BY expected_at, id"
)


def create_app() -> Starlette:
    state: dict[str, Any] = {}

    async def startup() -> None:
        pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=4, max_size=10)
        state["pool"] = pool
        async with pool.acquire() as conn:
            locations = {
                row["id"]: Location(
                    row["id"],
                    row["code"],
                    row["name"],
                    LocationKind(row["kind"]),
                    GeoPoint(row["latitude"], row["longitude"]),
                    row["can_ship"],
                    row["can_pickup"],
                    row["daily_capacity"],
                    row["open_fulfillments"],
                )
                for row in await conn.fetch("SELECT * FROM locations")
            }
            views = {}
            for row in await conn.fetch(
                "SELECT v.*, c.code AS channel_code FROM inventory_views v JOIN channels c ON c.id = v.channel_id"
            ):
                views[row["channel_code"]] = InventoryView(
                    row["id"],
                    row["channel_id"],
                    row["code"],
                    tuple(json.loads(row["location_ids"])),
                    row["safety_buffer"],
                    row["safety_buffer_percent"],
                    row["max_available"],
                    frozenset(json.loads(row["excluded_skus"])),
                    frozenset(LocationKind(k) for k in json.loads(row["excluded_location_kinds"])),
                )
        state["locations"], state["views"] = locations, views

    async def availability(request: Request) -> Response:
        body = await request.json()
        view: InventoryView = state["views"][body["channel"]]
        location_ids = list(view.location_ids)
        async with state["pool"].acquire() as conn:
            variants = await conn.fetch(VARIANTS, body["skus"])
            ids = [row["id"] for row in variants]
            rows = await conn.fetch(POSITIONS, ids, location_ids)
            incoming = await conn.fetch(INCOMING, ids, location_ids, datetime.now(UTC).date())
        by_variant: dict[int, dict[int, int]] = {}
        for row in rows:
            available = PositionQuantities(
                row["on_hand"],
                row["allocated"],
                row["reserved"],
                row["safety_stock"],
                row["unsellable"],
            ).available
            by_variant.setdefault(row["variant_id"], {})[row["location_id"]] = available
        first_incoming = {}
        for row in incoming:
            first_incoming.setdefault(row["variant_id"], str(row["expected_at"]))
        result = []
        for variant in variants:
            atp = sku_atp(
                variant["sku"], by_variant.get(variant["id"], {}), state["locations"], view
            )
            result.append(
                {
                    "sku": atp.sku,
                    "available": atp.available,
                    "shipAvailable": atp.ship_available,
                    "pickupAvailable": atp.pickup_available,
                    **(
                        {
                            "locations": [
                                {"location": {"code": loc.code}, "available": qty}
                                for loc, qty in atp.by_location
                            ]
                        }
                        if body.get("locations", True)
                        else {}
                    ),
                    "nextIncoming": first_incoming.get(variant["id"]),
                }
            )
        return Response(
            json.dumps({"data": {"availability": result}}), media_type="application/json"
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await startup()
        yield
        await state["pool"].close()

    return Starlette(
        routes=[Route("/availability", availability, methods=["POST"])], lifespan=lifespan
    )
