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
from persistence.reads.inventory import EARLIEST_INCOMING_PG, SKUS_WITH_AVAILABILITY_PG


async def load_locations(conn: asyncpg.Connection) -> dict[int, Location]:
    """Every location by id, as the server's location cache holds them."""
    return {
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


def create_app() -> Starlette:
    state: dict[str, Any] = {}

    async def startup() -> None:
        pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=4, max_size=10)
        state["pool"] = pool
        async with pool.acquire() as conn:
            locations = await load_locations(conn)
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
            rows = await conn.fetch(SKUS_WITH_AVAILABILITY_PG, body["skus"], location_ids)
            ids = list({row["id"] for row in rows})
            incoming = await conn.fetch(
                EARLIEST_INCOMING_PG, ids, location_ids, datetime.now(UTC).date()
            )
        by_variant: dict[int, dict[int, int]] = {}
        variants = {}
        for row in rows:
            variants[row["id"]] = row
            if row["location_id"] is not None:
                by_variant.setdefault(row["id"], {})[row["location_id"]] = PositionQuantities(
                    row["on_hand"],
                    row["allocated"],
                    row["reserved"],
                    row["safety_stock"],
                    row["unsellable"],
                ).available
        first_incoming = {row["variant_id"]: str(row["expected_at"]) for row in incoming}
        variants_in_order = [variants[i] for i in dict.fromkeys(row["id"] for row in rows)]
        result = []
        for variant in variants_in_order:
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
