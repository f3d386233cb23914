"""Hot writes straight to asyncpg, inside the unit of work's transaction.

The read-side twin is persistence/reads/raw.py. A batch of 1,000 inventory counts is a
handful of statements whose parameters are a few 1,000-element arrays; built and run
through SQLAlchemy Core they cost more CPU in the server than the statements cost in
PostgreSQL (statement building, parameter processing per element, a Row per row). Here a
statement is constant SQL text with `$n` array parameters (`unnest`), prepared once per
connection by asyncpg's statement cache, and its rows come back as asyncpg Records.

`execute` runs on PostgreSQL only (the callers keep their SQLAlchemy statements for
SQLite) and only inside a transaction the unit of work began: it starts the driver's
transaction the way SQLAlchemy would before its first statement, so the statements run in
the same transaction as every other statement of the unit of work, and commit or roll
back with it. When the driver cannot be used directly (an invalidated connection), or
when a statement fails, the same SQL runs through SQLAlchemy (`exec_driver_sql`), which
reports the failure as every other statement's (wrapped, a dropped connection invalidated
and answered 503); after a failure the transaction is aborted, so that run fails too,
with the first error as its context. Statements are announced to `before_cursor_execute`
listeners, so statement counting sees them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

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


async def _driver(conn: AsyncConnection) -> Any | None:
    """The asyncpg connection under `conn`, in the unit of work's transaction."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated or not sync.in_transaction():
        return None
    adapted = sync.connection.dbapi_connection
    found = getattr(adapted, "driver_connection", None)
    if found is None:
        return None
    if not found.is_in_transaction():
        # SQLAlchemy begins the driver's transaction lazily, before its first statement;
        # do what it would do (same isolation level, tracked by its adapter for commit).
        start = getattr(adapted, "_start_transaction", None)
        mutex = getattr(adapted, "_execute_mutex", None)
        if start is None or mutex is None or getattr(adapted, "_transaction", True) is not None:
            return None
        async with mutex:
            await start()
    return found


async def execute(conn: AsyncConnection, sql: str, *args: Any) -> Sequence[Any]:
    """Rows (indexable by position) of `sql` with `$n` parameters, on PostgreSQL."""
    found = await _driver(conn)
    if found is not None:
        sync = conn.sync_connection
        assert sync is not None
        if sync.dispatch.before_cursor_execute:
            sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
        try:
            rows: list[Any] = await found.fetch(sql, *args)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.debug("a raw write failed, SQLAlchemy runs it again: %r", error)
            return (await conn.exec_driver_sql(sql, args)).all()
        return rows
    return (await conn.exec_driver_sql(sql, args)).all()
