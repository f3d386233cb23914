"""A fingerprint of everything stored, to assert that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from persistence.tables import inventory_positions, metadata


def fingerprint(client: TestClient) -> dict[str, Any]:
    """Row counts of every table, and the sum of every position's quantities."""
    db = client.app.state.services.db  # type: ignore[attr-defined]

    async def read() -> dict[str, Any]:
        found: dict[str, Any] = {}
        async with db.read() as conn:
            for table in metadata.sorted_tables:
                count = select(func.count()).select_from(table)
                found[table.name] = (await conn.execute(count)).scalar_one()
            p = inventory_positions.c
            totals = select(func.sum(p.on_hand), func.sum(p.safety_stock), func.sum(p.unsellable))
            found["quantities"] = tuple((await conn.execute(totals)).one())
        return found

    portal: Any = client.portal  # type: ignore[attr-defined]
    result: dict[str, Any] = portal.call(read)
    return result
