"""Migrations run forward and back on the database under test."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.migrate import downgrade, upgrade
from persistence.tables import metadata


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
