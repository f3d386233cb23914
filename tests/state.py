"""A fingerprint of everything stored, to assert that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from persistence.tables import inventory_positions, metadata

_TABLES = metadata.sorted_tables
_QUANTITIES = (
    inventory_positions.c.on_hand,
    inventory_positions.c.safety_stock,
    inventory_positions.c.unsellable,
)
# One statement: the fuzz test takes a fingerprint before and after every example.
_QUERY = select(
    *(select(func.count()).select_from(table).scalar_subquery() for table in _TABLES),
    *(select(func.sum(column)).scalar_subquery() for column in _QUANTITIES),
)
_NAMES = [table.name for table in _TABLES] + [column.name for column in _QUANTITIES]


def fingerprint(client: TestClient) -> dict[str, Any]:
    """Row counts of every table, and the sum of every position's quantities."""
    app: Any = client.app
    db = app.state.services.db

    async def read() -> dict[str, Any]:
        async with db.read() as conn:
            row = (await conn.execute(_QUERY)).one()
        return dict(zip(_NAMES, row, strict=True))

    portal: Any = client.portal
    result: dict[str, Any] = portal.call(read)
    return result
