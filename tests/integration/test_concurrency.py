"""Concurrent ingest against the real database: no lost update, a replay counts once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.access import SYSTEM
from domain.catalog.handlers import create_product
from domain.catalog.model import CreateProduct, VariantSpec
from domain.inventory.handlers import adjust_inventory, set_inventory
from domain.inventory.ingest import AdjustUpdate, SetUpdate
from domain.locations.handlers import create_location
from domain.locations.model import CreateLocation, LocationKind
from persistence.database import Database
from persistence.reads.inventory import position_page
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique


async def _setup(db: Database) -> tuple[str, str]:
    sku = unique("CONC").upper()
    loc = unique("loc")
    await create_product(
        CreateProduct(handle=unique("c"), title="c", variants=(VariantSpec(sku, "c"),)),
        SqlUnitOfWork(db),
    )
    await create_location(
        CreateLocation(loc, "c", LocationKind.WAREHOUSE, can_ship=True, can_pickup=False),
        SqlUnitOfWork(db),
    )
    now = datetime.now(UTC)
    await set_inventory(
        [SetUpdate(sku, loc, 1000, now - timedelta(minutes=1))], SYSTEM, SqlUnitOfWork(db), now
    )
    return sku, loc


async def _on_hand(db: Database, sku: str) -> int:
    async with db.read() as conn:
        [position] = await position_page(conn, sku, None, None, 10)
    return position.quantities.on_hand


def test_concurrent_adjustments_lose_nothing(database_url: str) -> None:
    async def scenario() -> tuple[int, int]:
        db = Database(database_url)
        try:
            sku, loc = await _setup(db)

            async def till(n: int) -> int:
                updates = [AdjustUpdate(sku, loc, -1, "sale", unique(f"t{n}")) for _ in range(5)]
                result = await adjust_inventory(
                    updates, SYSTEM, SqlUnitOfWork(db), datetime.now(UTC)
                )
                return result.applied

            applied = sum(await asyncio.gather(*(till(n) for n in range(20))))
            return applied, await _on_hand(db, sku)
        finally:
            await db.dispose()

    applied, on_hand = asyncio.run(scenario())
    assert applied == 100
    assert on_hand == 900


def test_the_same_event_sent_concurrently_counts_once(database_url: str) -> None:
    async def scenario() -> tuple[list[int], list[int], int]:
        db = Database(database_url)
        try:
            sku, loc = await _setup(db)
            event = AdjustUpdate(sku, loc, -7, "sale", unique("same"))
            results = await asyncio.gather(
                *(
                    adjust_inventory([event], SYSTEM, SqlUnitOfWork(db), datetime.now(UTC))
                    for _ in range(8)
                )
            )
            return (
                [r.applied for r in results],
                [r.duplicates for r in results],
                await _on_hand(db, sku),
            )
        finally:
            await db.dispose()

    applied, duplicates, on_hand = asyncio.run(scenario())
    assert sum(applied) == 1
    assert sum(duplicates) == 7
    assert on_hand == 993
