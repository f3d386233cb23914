"""Hot reads straight from asyncpg, under the SQLAlchemy connection that holds it.

SQLAlchemy costs more CPU than the statements themselves on the storefront's hottest
reads (the listing's ~400 rows: statement cache keys, parameter processing, a Row per
row): run through asyncpg directly they cost about a quarter. `fetch` runs a statement
on the asyncpg connection under a checked-out SQLAlchemy connection, and answers None
whenever SQLAlchemy must run it instead:

- on SQLite (the caller keeps its SQLAlchemy statement, the portable one);
- inside a transaction (SQLAlchemy's begin is lazy, so a statement sent before the
  driver started it would run outside it, and a failure would abort it): the raw path
  runs only where SQLAlchemy would have begun a transaction with this very statement,
  so the statement sees what it would have seen under READ COMMITTED;
- when the connection is invalidated or closed;
- when the statement fails: SQLAlchemy runs it again and reports the failure as every
  other read does (wrapped errors, a dropped connection invalidated and answered 503).

Statements are announced to `before_cursor_execute` listeners like SQLAlchemy's own, so
statement counting (tests/api/test_n_plus_one.py) sees them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("orchestra.reads")


def driver(conn: AsyncConnection) -> Any | None:
    """The asyncpg connection under `conn`, when a statement may be sent on it now."""
    if conn.dialect.name != "postgresql":
        return None
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    found = sync.connection.driver_connection
    if found is None or sync.in_transaction() or found.is_in_transaction():
        return None
    return found


async def fetch(conn: AsyncConnection, sql: str, *args: Any) -> list[Any] | None:
    """asyncpg Records for `sql` ($n parameters), or None: run it through SQLAlchemy."""
    found = driver(conn)
    if found is None:
        return None
    sync = conn.sync_connection
    assert sync is not None
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
    try:
        rows: list[Any] = await found.fetch(sql, *args)
    except asyncio.CancelledError:
        raise
    except Exception as error:
        log.debug("a raw read failed, SQLAlchemy runs it again: %r", error)
        return None
    return rows
