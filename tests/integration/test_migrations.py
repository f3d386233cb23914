"""Migrations run forward and back on the database under test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.migrate import downgrade, upgrade
from persistence.tables import inventory_movements, metadata
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
