"""A batch of counts through the hot write path (persistence/raw_writes.py on PostgreSQL,
SQLAlchemy on SQLite): the positions, the journal, channel ATP and the outbox hold
exactly what the domain computed, and on PostgreSQL no statement fell back to SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.access import SYSTEM
from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import CreateChannel, CreateProduct, PriceSpec, VariantSpec
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.handlers import create_location
from domain.locations.model import CreateLocation, LocationKind
from persistence.clock import aware
from persistence.database import Database
from persistence.outbox_log import payloads
from persistence.tables import (
    channel_atp,
    inventory_movements,
    inventory_positions,
    outbox,
    variants,
)
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique


async def _world(db: Database) -> tuple[str, list[str], list[str]]:
    channel = unique("ch")
    await create_channel(CreateChannel(channel, channel, "EUR"), SqlUnitOfWork(db))
    # Quotes, a backslash, a comma and braces: the array literals must carry them.
    skus = [unique(prefix).upper() for prefix in ('Q"', "B\\", "C,", "{X}")]
    specs = tuple(VariantSpec(s, s, prices=(PriceSpec(channel, Decimal("1")),)) for s in skus)
    await create_product(CreateProduct(unique("h"), "h", specs), SqlUnitOfWork(db))
    codes = []
    for _ in range(2):
        code = unique("loc")
        cmd = CreateLocation(code, code, LocationKind.WAREHOUSE, True, True)
        await create_location(cmd, SqlUnitOfWork(db))
        codes.append(code)
    now = datetime.now(UTC)
    await upsert_view(channel, ViewSpec(channel, tuple(codes)), SqlUnitOfWork(db), now)
    return channel, skus, codes


def test_a_batch_of_counts_writes_what_the_domain_computed(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        db = Database(database_url)
        try:
            channel, skus, codes = await _world(db)
            now = datetime.now(UTC)
            first = now - timedelta(minutes=2)
            counts = [
                SetUpdate(sku, code, 3 + i, first, safety_stock=1 if i == 0 else None)
                for i, (sku, code) in enumerate((s, c) for s in skus for c in codes)
            ]
            with caplog.at_level(logging.DEBUG, logger="orchestra.writes"):
                result = await set_inventory(counts, SYSTEM, SqlUnitOfWork(db), now)
                # Counts with different asOf values in one batch (sent as an array).
                later = [
                    SetUpdate(skus[0], codes[0], 1, now - timedelta(seconds=30)),
                    SetUpdate(skus[1], codes[0], 0, now - timedelta(seconds=20)),
                    SetUpdate(skus[2], codes[1], 9, first - timedelta(minutes=1)),  # stale
                ]
                second = await set_inventory(later, SYSTEM, SqlUnitOfWork(db), now)
            assert not [r for r in caplog.records if r.name == "orchestra.writes"]
            assert (result.applied, result.errors) == (8, [])
            assert (second.applied, second.stale, second.errors) == (2, 1, [])

            async with db.read() as conn:
                ids = dict(
                    (await conn.execute(select(variants.c.sku, variants.c.id))).tuples().all()
                )
                p = inventory_positions.c
                positions = {
                    (row.variant_id, row.location_id): row
                    for row in await conn.execute(
                        select(inventory_positions).where(p.variant_id.in_(ids[s] for s in skus))
                    )
                }
                m = inventory_movements.c
                journal = (
                    await conn.execute(
                        select(m.variant_id, m.location_id, m.delta, m.as_of, m.kind, m.reason)
                        .where(m.variant_id.in_(ids[s] for s in skus))
                        .order_by(m.id)
                    )
                ).all()
                c = channel_atp.c
                atp = {
                    row.variant_id: (row.raw_total, row.available)
                    for row in await conn.execute(
                        select(channel_atp).where(c.variant_id.in_(ids[s] for s in skus))
                    )
                }
                events = [
                    payload
                    for row in await conn.execute(
                        select(outbox.c.payload, outbox.c.events)
                        .where(outbox.c.topic == "availability")
                        .order_by(outbox.c.id)
                    )
                    for payload in payloads(row.payload, row.events)
                    if payload["channel"] == channel
                ]
            a0 = positions[(ids[skus[0]], _location_id(positions, ids[skus[0]], 0))]
            assert (a0.on_hand, a0.safety_stock, a0.unsellable) == (1, 1, 0)
            assert aware(a0.last_as_of) == now - timedelta(seconds=30)
            # onHand is the sum of the journal, per position.
            sums: dict[tuple[int, int], int] = {}
            for v, loc, delta, _, kind, reason in journal:
                assert (kind, reason) == ("set", "count")
                sums[(v, loc)] = sums.get((v, loc), 0) + delta
            assert sums == {key: row.on_hand for key, row in positions.items()}
            assert len(journal) == 10
            # Channel ATP: both locations count; the published value follows the sums.
            for sku in skus:
                total = sum(
                    max(0, row.on_hand - row.safety_stock)
                    for (v, _), row in positions.items()
                    if v == ids[sku]
                )
                assert atp[ids[sku]] == (total, total)
            # One event per change of published ATP, in the order raised, last one wins.
            assert {e["sku"]: e["available"] for e in events} == {
                sku: atp[ids[sku]][1] for sku in skus
            }
            assert all(json.loads(json.dumps(e)) == e for e in events)
        finally:
            await db.dispose()

    asyncio.run(scenario())


def _location_id(positions: Mapping[tuple[int, int], object], variant_id: int, nth: int) -> int:
    return sorted(loc for v, loc in positions if v == variant_id)[nth]
