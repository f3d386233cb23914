"""Migrations run forward and back on the database under test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.clock import aware
from persistence.migrate import downgrade, upgrade
from persistence.tables import (
    channels,
    fulfillments,
    inventory_movements,
    locations,
    metadata,
    order_lines,
    orders,
)
from tests.conftest import unique


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names


def test_head_has_every_table_and_the_last_step_goes_back_and_forth(database_url: str) -> None:
    assert set(metadata.tables) <= asyncio.run(_tables(database_url))
    downgrade(database_url, "0001")
    upgrade(database_url)
    assert set(metadata.tables) <= asyncio.run(_tables(database_url))


def test_hot_tables_leave_room_for_in_place_updates_on_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL storage setting; SQLite has none")

    async def options() -> dict[str, list[str] | None]:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT relname, reloptions FROM pg_class "
                    "WHERE relname IN ('inventory_positions', 'channel_atp')"
                )
            )
            found = {name: opts for name, opts in rows}
        await engine.dispose()
        return found

    assert asyncio.run(options()) == {
        "inventory_positions": ["fillfactor=70"],
        "channel_atp": ["fillfactor=70"],
    }


def test_the_migrated_schema_is_the_one_tables_py_declares(database_url: str) -> None:
    async def differences() -> list[Any]:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            found: list[Any] = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
        await engine.dispose()
        return found

    assert asyncio.run(differences()) == []


def test_event_ids_reused_by_two_callers_survive_a_downgrade_and_upgrade(
    database_url: str,
) -> None:
    event_id = unique("ev")
    m = inventory_movements.c

    async def write() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(
                insert(inventory_movements),
                [
                    {
                        "variant_id": 1,
                        "location_id": 1,
                        "kind": "adjust",
                        "delta": -1,
                        "event_id": event_id,
                        "scope": scope,
                        "reason": event_id,  # finds the rows again once the id is gone
                        "recorded_at": datetime.now(UTC),
                    }
                    for scope in ("token:1", "token:2")
                ],
            )
        await engine.dispose()

    async def kept() -> list[tuple[str | None, str | None]]:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            query = select(m.event_id, m.scope).where(m.reason == event_id).order_by(m.id)
            rows = [(row.event_id, row.scope) for row in await conn.execute(query)]
        await engine.dispose()
        return rows

    asyncio.run(write())
    downgrade(database_url, "0002")
    upgrade(database_url)
    # The first keeps its id (now in the pre-scope namespace); the second only loses its id.
    assert asyncio.run(kept()) == [(event_id, "legacy"), (None, None)]


def test_lines_and_fulfillments_placed_before_0012_get_their_orders_placement(
    database_url: str,
) -> None:
    """0012 copies each order's placement time and channel onto the lines and fulfillments
    that were already there (the reports read them from there)."""
    placed = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    code = unique("ch")
    order_id = unique("order")

    async def write() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            channel_id = (
                await conn.execute(
                    insert(channels)
                    .values(code=code, name=code, currency="EUR", created_at=placed)
                    .returning(channels.c.id)
                )
            ).scalar_one()
            location_id = (
                await conn.execute(
                    insert(locations)
                    .values(
                        code=code,
                        name=code,
                        kind="WAREHOUSE",
                        can_ship=True,
                        can_pickup=False,
                        open_fulfillments=0,
                        created_at=placed,
                    )
                    .returning(locations.c.id)
                )
            ).scalar_one()
            zero = {
                k: 0
                for k in (
                    "subtotal",
                    "discount_total",
                    "shipping_total",
                    "tax_total",
                    "total",
                    "shipping_charge",
                    "shipping_discount",
                    "shipping_tax",
                    "appeased",
                )
            }
            await conn.execute(
                insert(orders).values(
                    id=order_id,
                    number=order_id,
                    channel_id=channel_id,
                    currency="EUR",
                    status="CONFIRMED",
                    status_changed_at=placed,
                    coupon_codes=[],
                    prices_include_tax=False,
                    shipping_captured=False,
                    authorization_released=False,
                    rejected_location_ids=[],
                    created_at=placed,
                    updated_at=placed + timedelta(hours=2),
                    **zero,
                )
            )
            for position in (0, 1):
                await conn.execute(
                    insert(order_lines).values(
                        id=f"{order_id}-{position}",
                        order_id=order_id,
                        position=position,
                        sku="SKU",
                        quantity=1,
                        method="SHIP",
                        unit_price=1,
                        subtotal=1,
                        discount=0,
                        total=1,
                        tax=0,
                        charge=1,
                        quantity_cancelled=0,
                        quantity_shipped=1,
                        quantity_returned=0,
                    )
                )
            await conn.execute(
                insert(fulfillments).values(
                    id=f"{order_id}-f",
                    order_id=order_id,
                    position=0,
                    location_id=location_id,
                    location_code=code,
                    method="SHIP",
                    status="SHIPPED",
                    pickup_attempts=0,
                    created_at=placed,
                    updated_at=placed + timedelta(hours=2),
                )
            )
        await engine.dispose()

    async def copied() -> tuple[set[tuple[Any, ...]], int]:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            found: set[tuple[Any, ...]] = set()
            for table in (order_lines, fulfillments):
                query = select(table.c.placed_at, table.c.channel_id).where(
                    table.c.order_id == order_id
                )
                found |= {(aware(r.placed_at), r.channel_id) for r in await conn.execute(query)}
            channel_id = (
                await conn.execute(select(channels.c.id).where(channels.c.code == code))
            ).scalar_one()
        await engine.dispose()
        return found, channel_id

    downgrade(database_url, "0011")
    asyncio.run(write())
    upgrade(database_url)
    found, channel_id = asyncio.run(copied())
    assert found == {(placed, channel_id)}
