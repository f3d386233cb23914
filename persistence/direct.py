"""A unit of work's hot statements sent straight through asyncpg, inside its transaction.

Going through SQLAlchemy costs more CPU than a checkout's statements cost PostgreSQL:
per statement its cache key and compiled-cache look-up, parameter processing, a result
proxy and a Row per row, and two greenlet switches (~0.12 ms against ~0.04 ms on asyncpg
directly, docs/orders-wiring.md). `execute` runs a statement built once with SQLAlchemy
(so the SQL still follows persistence/tables.py) as the SQL text SQLAlchemy would send,
compiled once per statement and parameter names, on the asyncpg connection under the
unit of work's SQLAlchemy connection, and returns asyncpg Records (a mapping per row:
`row["column"]`, or by position).

It answers None where SQLAlchemy must run the statement instead (the caller keeps its
SQLAlchemy path, the portable one): on SQLite, and outside a SQLAlchemy transaction
(reads outside a unit of work use persistence/reads/raw.py). Inside one it joins the
driver's transaction, starting it as SQLAlchemy would have with this very statement.

A failure is raised as SQLAlchemy would have raised it (`sqlalchemy.exc.DBAPIError`
subclasses wrapping the driver's error: a unique violation is an IntegrityError that
persistence/unique.py reads; a dropped connection is invalidated and reported as such),
and the transaction is aborted as it would have been: the unit of work rolls back.

Only for statements built once (module level or cached): the compiled text is kept per
statement object. Statements are announced to `before_cursor_execute` listeners like
SQLAlchemy's own, so statement counting sees them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
_LIMIT = 512  # compiled statements kept (a few dozen are hot)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement's PostgreSQL text and how to order and process its parameters."""

    sql: str
    names: tuple[str, ...]  # the parameter bound to $1, $2, ...
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: Mapping[str, Any]  # values given in the statement itself

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        defaults = self.defaults
        args = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else defaults[name]
            args.append(value if process is None or value is None else process(value))
        return args


_compiled: dict[tuple[int, tuple[str, ...]], tuple[Any, Compiled]] = {}


def compiled(stmt: Any, keys: tuple[str, ...] = ()) -> Compiled:
    """`stmt` compiled for asyncpg; `keys` are the parameter names of an INSERT or UPDATE
    whose columns come from its parameters (SQLAlchemy's `column_keys`)."""
    found = _compiled.get((id(stmt), keys))
    if found is not None and found[0] is stmt:
        return found[1]
    result = stmt.compile(dialect=_DIALECT, column_keys=list(keys) if keys else None)
    names = tuple(result.positiontup or ())
    processors = result._bind_processors
    made = Compiled(
        str(result),
        names,
        tuple(processors.get(name) for name in names),
        {name: bind.value for name, bind in result.binds.items() if not bind.required},
    )
    if len(_compiled) >= _LIMIT:
        _compiled.clear()
    _compiled[(id(stmt), keys)] = (stmt, made)  # the statement kept: its id stays its own
    return made


async def execute(
    conn: AsyncConnection,
    stmt: Any,
    params: Mapping[str, Any] | None = None,
    *,
    column_keys: bool = False,
) -> list[Any] | None:
    """The statement's rows (asyncpg Records), or None: run it through SQLAlchemy.
    `column_keys`: an INSERT/UPDATE whose SET or VALUES follow the parameters' names."""
    driver = _transaction_driver(conn)
    if driver is None:
        return None
    given = params or {}
    statement = compiled(stmt, tuple(given) if column_keys else ())
    return await run(conn, driver, statement.sql, statement.arguments(given))


async def fetch(conn: AsyncConnection, sql: str, *args: Any) -> list[Any] | None:
    """Hand-written PostgreSQL text (`$n` parameters, values as asyncpg takes them), or
    None: the caller runs its SQLAlchemy statement."""
    driver = _transaction_driver(conn)
    if driver is None:
        return None
    return await run(conn, driver, sql, list(args))


def _transaction_driver(conn: AsyncConnection) -> Any | None:
    if conn.dialect.name != "postgresql":
        return None
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated or not sync.in_transaction():
        return None
    return sync.connection.dbapi_connection


async def run(conn: AsyncConnection, adapted: Any, sql: str, args: Sequence[Any]) -> list[Any]:
    sync = conn.sync_connection
    assert sync is not None
    failure: Exception
    async with adapted._execute_mutex:
        try:
            if adapted._transaction is None:
                # SQLAlchemy begins the driver's transaction with a unit of work's first
                # statement; this one is it.
                await adapted._start_transaction()
            if sync.dispatch.before_cursor_execute:
                sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
            rows: list[Any] = await adapted._connection.fetch(sql, *args)
            return rows
        except asyncio.CancelledError:
            raise
        except Exception as error:
            failure = error
    raise await _as_sqlalchemy_error(conn, adapted, failure, sql, args)


async def _as_sqlalchemy_error(
    conn: AsyncConnection, adapted: Any, error: Exception, sql: str, args: Sequence[Any]
) -> BaseException:
    """The error SQLAlchemy would have raised: the driver's error translated to the
    dialect's DBAPI class, wrapped in sqlalchemy.exc; a lost connection invalidated."""
    translated: BaseException = error
    try:
        adapted._handle_exception(error)
    except Exception as raised:
        translated = raised
    dialect = conn.dialect
    lost = isinstance(translated, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
        translated, adapted, None
    )
    if not isinstance(translated, dialect.loaded_dbapi.Error):
        return translated
    wrapped = DBAPIError.instance(
        sql,
        list(args),
        translated,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    )
    if lost:
        await conn.invalidate(translated)
    wrapped.__cause__ = translated
    return wrapped


class Row:
    """A Record read like a SQLAlchemy Row (`row.column`), for mappers shared with the
    SQLAlchemy path."""

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, index: int) -> Any:
        return self._record[index]

    def __iter__(self) -> Any:
        return iter(self._record)

    def __len__(self) -> int:
        return len(self._record)


async def rows(
    conn: AsyncConnection, stmt: Any, params: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """The statement's rows, read as `row.column` and by position: through asyncpg where
    `execute` can, else through SQLAlchemy."""
    found = await execute(conn, stmt, params)
    if found is None:
        return list(await conn.execute(stmt, params))
    return [Row(record) for record in found]
