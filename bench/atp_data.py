"""The inventory benchmark data set: 10,000 SKUs x 100 locations = 1,000,000 positions.

Bulk-loaded with PostgreSQL COPY (this is fixture data, not the ingest under test), then
the `web` channel's view of 50 locations is created through the domain's view upsert so
channel ATP is computed the normal way.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import make_url

from domain.inventory.views import ViewSpec, upsert_view
from persistence.database import Database
from persistence.uow import SqlUnitOfWork

SKUS = 10_000
LOCATIONS = 100
VIEW_LOCATIONS = 50


def sku(i: int) -> str:
    return f"BENCH-{i:05d}"


def location(i: int) -> str:
    return f"bench-loc-{i:03d}"


async def load(database_url: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO channels (code, name, currency, created_at) VALUES ('web', 'Web', 'USD', $1)",
                now,
            )
            await conn.copy_records_to_table(
                "locations",
                columns=[
                    "id",
                    "code",
                    "name",
                    "kind",
                    "latitude",
                    "longitude",
                    "can_ship",
                    "can_pickup",
                    "daily_capacity",
                    "open_fulfillments",
                    "created_at",
                ],
                records=[
                    (
                        i,
                        location(i),
                        f"Bench {i}",
                        "STORE" if i % 3 else "WAREHOUSE",
                        30 + rng.random() * 15,
                        -120 + rng.random() * 45,
                        i % 3 == 0 or i % 7 == 0,
                        i % 3 != 0,
                        None,
                        0,
                        now,
                    )
                    for i in range(1, LOCATIONS + 1)
                ],
            )
            await conn.copy_records_to_table(
                "products",
                columns=["id", "handle", "title", "created_at"],
                records=[(i, f"bench-{i}", f"Bench product {i}", now) for i in range(1, SKUS + 1)],
            )
            await conn.copy_records_to_table(
                "variants",
                columns=["id", "product_id", "sku", "title", "is_kit"],
                records=[(i, i, sku(i), "Default", False) for i in range(1, SKUS + 1)],
            )
            await conn.copy_records_to_table(
                "inventory_positions",
                columns=[
                    "variant_id",
                    "location_id",
                    "on_hand",
                    "allocated",
                    "reserved",
                    "safety_stock",
                    "unsellable",
                    "updated_at",
                ],
                records=(
                    (v, loc, rng.randint(0, 40), 0, 0, rng.choice((0, 0, 1)), 0, now)
                    for v in range(1, SKUS + 1)
                    for loc in range(1, LOCATIONS + 1)
                ),
            )
            for table in ("locations", "products", "variants"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    db = Database(database_url)
    try:
        spec = ViewSpec(
            code="web",
            locations=tuple(location(i) for i in range(1, VIEW_LOCATIONS + 1)),
            safety_buffer=1,
            safety_buffer_percent=5,
        )
        await upsert_view("web", spec, SqlUnitOfWork(db), now)
    finally:
        await db.dispose()


if __name__ == "__main__":
    import sys

    asyncio.run(load(sys.argv[1]))
