"""Concurrent ingest against the real database: no lost update, a replay counts once, a
reused event id applies once."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import SYSTEM, Actor
from domain.catalog.handlers import create_product
from domain.catalog.model import CreateProduct, VariantSpec
from domain.errors import ErrorCode
from domain.inventory.handlers import adjust_inventory, set_inventory
from domain.inventory.ingest import AdjustUpdate, BatchResult, SetUpdate
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


def test_one_event_id_sent_concurrently_with_two_movements_applies_one(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency is real only on PostgreSQL (SQLite has one writer)")
    till = Actor(name="partner:till", token_id=99)

    async def scenario() -> tuple[list[BatchResult], int]:
        db = Database(database_url)
        try:
            sku, loc = await _setup(db)
            event_id = unique("reused")
            moves = [AdjustUpdate(sku, loc, delta, "sale", event_id) for delta in (-7, -3) * 4]
            results = await asyncio.gather(
                *(
                    adjust_inventory([move], till, SqlUnitOfWork(db), datetime.now(UTC))
                    for move in moves
                )
            )
            return list(results), await _on_hand(db, sku)
        finally:
            await db.dispose()

    results, on_hand = asyncio.run(scenario())
    [winner] = [i for i, r in enumerate(results) if r.applied == 1]
    same = [i for i in range(8) if i % 2 == winner % 2 and i != winner]
    assert [i for i, r in enumerate(results) if r.duplicates == 1] == same
    conflicts = [i for i, r in enumerate(results) if r.errors]
    assert conflicts == [i for i in range(8) if i % 2 != winner % 2]
    assert all(
        [(e.field, e.code) for e in results[i].errors]
        == [(("updates", "0", "eventId"), ErrorCode.CONFLICT)]
        for i in conflicts
    )
    assert on_hand == 1000 + (-7, -3)[winner % 2]


@pytest.mark.skipif(
    not os.environ.get("ORCHESTRA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="counts race sales only where transactions run concurrently (PostgreSQL)",
)
def test_counts_racing_sales_lose_no_sale_on_new_and_known_positions(database_url: str) -> None:
    """A count taken before the sales re-applies every sale recorded after it, whichever
    commits first: the count must read the journal after it holds the position's lock.
    Some count batches also create positions no batch has counted yet, so batches that
    find every position (one locking read) race batches that must create one (the other
    path, after giving back the locks they took). Rounds of counts and sales interleaved;
    after each, onHand is the count less that round's sales."""

    async def scenario() -> tuple[list[tuple[int, int]], list[int]]:
        db = Database(database_url)
        try:
            sku, loc = await _setup(db)
            fresh = [unique("NEW").upper() for _ in range(10)]
            for new_sku in fresh:
                variants = (VariantSpec(new_sku, "n"),)
                product = CreateProduct(handle=unique("n"), title="n", variants=variants)
                await create_product(product, SqlUnitOfWork(db))

            async def count(n: int, at: datetime, new: list[str]) -> int:
                updates = [SetUpdate(sku, loc, 1000, at)]
                updates += [SetUpdate(new_sku, loc, 7, at) for new_sku in new[: n % 3]]
                result = await set_inventory(updates, SYSTEM, SqlUnitOfWork(db), datetime.now(UTC))
                assert result.errors == []
                return 0

            async def till(n: int) -> int:
                # One sale a transaction: the tills go on selling after the counts are done,
                # so a sale a count lost would stay lost.
                sold = 0
                for _ in range(5):
                    sale = [AdjustUpdate(sku, loc, -1, "sale", unique(f"s{n}"))]
                    result = await adjust_inventory(
                        sale, SYSTEM, SqlUnitOfWork(db), datetime.now(UTC)
                    )
                    sold += result.applied
                return sold

            rounds = []
            for r in range(10):
                at = datetime.now(UTC)
                new = [fresh[r]]
                work = [job for n in range(10) for job in (count(n, at, new), till(n))]
                sold = sum(await asyncio.gather(*work))
                rounds.append((sold, await _on_hand(db, sku)))
            created = []
            async with db.read() as conn:
                for new_sku in fresh:
                    [position] = await position_page(conn, new_sku, None, None, 10)
                    created.append(position.quantities.on_hand)
            return rounds, created
        finally:
            await db.dispose()

    rounds, created = asyncio.run(scenario())
    assert rounds == [(50, 1000 - 50)] * 10
    assert created == [7] * 10
