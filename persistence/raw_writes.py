"""Hot writes straight to asyncpg, inside the unit of work's transaction.

The read-side twin is persistence/reads/raw.py. A batch of 1,000 inventory counts is a
handful of statements whose parameters are a few 1,000-element arrays; built and run
through SQLAlchemy Core they cost more CPU in the server than the statements cost in
PostgreSQL (statement building, parameter processing per element, a Row per row). Here a
statement is constant SQL text with `$n` array parameters (`unnest`), prepared once per
connection by asyncpg's statement cache, and its rows come back as asyncpg Records.

`execute` runs on PostgreSQL only (the callers keep their SQLAlchemy statements for
SQLite). Inside the unit of work's transaction it goes through persistence/direct.py (the
driver's transaction joined as SQLAlchemy would begin it; a failure raised as SQLAlchemy
would raise it, a dropped connection invalidated and answered 503); where the driver
cannot be used directly (an invalidated connection, no transaction) the same SQL runs
through SQLAlchemy (`exec_driver_sql`). Statements are announced to
`before_cursor_execute` listeners, so statement counting sees them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from persistence import direct

log = logging.getLogger("orchestra.writes")

# Arrays as PostgreSQL array literals in one text parameter (`$1::text::bigint[]`): asyncpg
# encodes a list element by element, with an abstract-base-class check on each (about
# 0.5 µs an integer, 1 µs a string, 2.5 µs a timestamp on this machine); joining the
# text is a tenth of that, and PostgreSQL parses it as fast as the binary form.


def int_array(values: Iterable[int]) -> str:
    """`{1,2,3}`; the values are ints (an int subclass would print its own way)."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array(values: Iterable[str]) -> str:
    """`{"a","b\\"c"}`: every element quoted, backslashes and quotes escaped (the array
    input syntax); NUL cannot occur (text that reaches storage has none)."""
    return (
        "{"
        + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


async def execute(conn: AsyncConnection, sql: str, *args: Any) -> Sequence[Any]:
    """Rows (indexable by position) of `sql` with `$n` parameters, on PostgreSQL: through
    asyncpg inside the unit of work's transaction (persistence/direct.py), else through
    SQLAlchemy (`exec_driver_sql`)."""
    rows = await direct.fetch(conn, sql, *args)
    if rows is None:
        log.debug("no driver transaction to join, SQLAlchemy runs: %s", sql[:60])
        return (await conn.exec_driver_sql(sql, args)).all()
    return rows
