"""A write cancelled under its caller (a WebSocket closed mid-mutation, a task cancelled
at shutdown) must not leave SQLite's write lock held: the next writer gets it at once.

SQLAlchemy used to treat the cancellation as a lost connection and close it while the
cancelled statement's cursor was still referenced (here, as in the server, by the
cancelled task's traceback); SQLite kept that connection as a zombie holding the write
lock, and every later writer failed after the busy timeout (persistence/database.py,
`_cancelled_keeps_connection`)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import make_url

from domain.access import SYSTEM
from domain.catalog.handlers import create_product
from domain.catalog.model import CreateProduct, VariantSpec
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.locations.handlers import create_location
from domain.locations.model import CreateLocation, LocationKind
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique
from tests.sqlite_lock import write_lock_free


def test_a_cancelled_write_leaves_the_write_lock_free(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the zombie connection is SQLite's (PostgreSQL rolls a backend back)")
    path = make_url(database_url).database or ""

    async def scenario() -> list[int]:
        db = Database(database_url)
        try:
            # 200 SKUs as 20 products of 10 variants: a product of 200 variants would make
            # the suite's nested product/variants queries 200^3 fields long.
            skus = [unique("CXL").upper() for _ in range(200)]
            for first in range(0, 200, 10):
                variants = tuple(VariantSpec(sku, sku) for sku in skus[first : first + 10])
                product = CreateProduct(handle=unique("cxl"), title="c", variants=variants)
                await create_product(product, SqlUnitOfWork(db))
            loc = unique("cxl")
            await create_location(
                CreateLocation(loc, "c", LocationKind.WAREHOUSE, can_ship=True, can_pickup=False),
                SqlUnitOfWork(db),
            )
            rng = random.Random(5)
            held, kept = [], []
            for attempt in range(40):
                now = datetime.now(UTC)
                counts = [
                    SetUpdate(s, loc, rng.randint(0, 9), now - timedelta(seconds=1)) for s in skus
                ]
                task = asyncio.create_task(set_inventory(counts, SYSTEM, SqlUnitOfWork(db), now))
                await asyncio.sleep(rng.random() * 0.03)
                task.cancel()
                await asyncio.wait({task})
                kept.append(task)  # its traceback (and what it references) stays alive
                if not await asyncio.to_thread(write_lock_free, path, 2):
                    held.append(attempt)
                    break
            return held
        finally:
            await db.dispose()

    assert asyncio.run(scenario()) == []
