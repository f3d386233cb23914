"""Engine creation and the few places where PostgreSQL and SQLite differ."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import any_, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from persistence.admission import Admission, Permit

DEFAULT_POOL_SIZE = 20
DEFAULT_QUEUE_LIMIT = 500  # checkouts waiting for a connection, per worker
# Seconds a checkout may wait for one: QueuePool's own timeout, so no request that used to
# be served in time is refused, while the wait is now in turn.
DEFAULT_QUEUE_TIMEOUT = 30.0


class Database:
    """One engine per process, plus the hooks the outbox relay listens on."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.admission: Admission | None = None
        if self.is_sqlite:
            # hide_parameters: errors and logs show the SQL, never the values in it.
            self.engine: AsyncEngine = create_async_engine(url, hide_parameters=True)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "handle_error", _cancelled_keeps_connection)
        else:
            # A fixed pool, no overflow: an overflow connection is opened for a burst and
            # closed when it is returned, so at 32 concurrent requests a 10 + 10 pool kept
            # opening PostgreSQL connections. A request holds a connection only for its
            # statements; 20 serve 32 concurrent requests, and a 33rd waits for one
            # instead of paying for a new backend.
            # Every checkout is admitted first (persistence/admission.py): in arrival order,
            # refused fast past `queue_limit` waiters or `queue_timeout` seconds, and nested
            # checkouts (a second connection for a request holding one) served from a
            # reserve that is the pool's only overflow. So the pool itself never waits.
            # JIT off: PostgreSQL compiles a plan it costs above `jit_above_cost`, and for
            # the API's statements (reports over ~100,000 rows included) compiling took
            # longer than running: 680 ms of JIT for a 900 ms fill-rate report
            # (docs/reports.md).
            self.admission = Admission(
                pool_size,
                reserve=nested_reserve(pool_size),
                queue_limit=queue_limit,
                wait_timeout=queue_timeout,
            )
            engine = create_async_engine(
                url,
                pool_size=pool_size,
                max_overflow=self.admission.capacity - pool_size,
                pool_timeout=queue_timeout,  # a backstop: admission keeps the pool from waiting
                pool_pre_ping=False,
                hide_parameters=True,
                connect_args={"server_settings": {"jit": "off"}},
            )
            self.engine = AdmittedEngine(engine.sync_engine, self.admission)
        # SQLite allows one writer; serialising writers in-process avoids "database is locked".
        self.write_lock = asyncio.Lock() if self.is_sqlite else None
        self._after_commit: list[Callable[[], None]] = []
        self._side: AsyncEngine | None = None
        self.locations = VersionedCache(ttl=10.0)  # persistence/repositories/locations.py

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads outside a unit of work (queries, dataloaders)."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def side(self) -> AsyncIterator[AsyncConnection]:
        """An autocommit connection for a statement that must commit on its own while a unit
        of work is open (PostgreSQL only), from a small pool of its own: a use case holding a
        main-pool connection (and row locks) never waits for the main pool to get one."""
        if self._side is None:
            self._side = create_async_engine(
                self.url, pool_size=2, max_overflow=4, isolation_level="AUTOCOMMIT"
            )
        async with self._side.connect() as conn:
            yield conn

    def insert(self, table: Any) -> Any:
        """An INSERT that supports ON CONFLICT on both backends."""
        dialect = sqlite if self.is_sqlite else postgresql
        return dialect.insert(table)

    def one_of(self, column: Any, values: Sequence[Any]) -> Any:
        """`column IN values` for a large list: one array parameter on PostgreSQL
        (`= ANY($1)`, no per-value placeholders to render), an IN list on SQLite."""
        return one_of(self.is_sqlite, column, values)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._side is not None:
            await self._side.dispose()


def nested_reserve(pool_size: int) -> int:
    """Connections beyond the pool for nested checkouts only: a tenth of it, at least 2."""
    return max(2, pool_size // 10)


class AdmittedConnection(AsyncConnection):
    """A connection that takes its permit before the pool and gives it back on close."""

    __slots__ = ("_permit",)

    def __init__(self, async_engine: AsyncEngine, sync_connection: Any = None) -> None:
        super().__init__(async_engine, sync_connection)
        self._permit: Permit | None = None

    async def start(self, is_ctxmanager: bool = False) -> AsyncConnection:
        admission: Admission = self.engine.admission  # type: ignore[attr-defined]
        permit = await admission.acquire()
        try:
            await super().start(is_ctxmanager)
        except BaseException:
            admission.release(permit)
            raise
        self._permit = permit
        return self

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            permit, self._permit = self._permit, None
            if permit is not None:
                self.engine.admission.release(permit)  # type: ignore[attr-defined]


class AdmittedEngine(AsyncEngine):
    """An AsyncEngine whose every connection (`connect()`, `begin()`, and so every unit of
    work, read and background job) is admitted by `admission` before the pool."""

    __slots__ = ("admission",)
    _connection_cls = AdmittedConnection

    def __init__(self, sync_engine: Any, admission: Admission) -> None:
        super().__init__(sync_engine)
        self.admission = admission


class VersionedCache:
    """One value per process, kept while the database reports the same version of what
    it was read from, and at most `ttl` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._version: object = None
        self._value: Any = None
        self._at = 0.0

    def get(self, version: object, now: float) -> Any:
        if self._value is None or version != self._version or now - self._at > self.ttl:
            return None
        return self._value

    def put(self, version: object, value: Any, now: float) -> None:
        self._version, self._value, self._at = version, value, now


def one_of(is_sqlite: bool, column: Any, values: Sequence[Any]) -> Any:
    if is_sqlite:
        return column.in_(list(values))
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def one_of_param(is_sqlite: bool, column: Any, name: str) -> Any:
    """`one_of` with a named parameter (bind a list to `name`): for statements built once."""
    if is_sqlite:
        return column.in_(bindparam(name, expanding=True))
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def one_of_on(conn: AsyncConnection, column: Any, values: Sequence[Any]) -> Any:
    """Database.one_of for code that holds a connection rather than the Database."""
    return one_of(conn.dialect.name == "sqlite", column, values)


def _cancelled_keeps_connection(context: ExceptionContext) -> None:
    """SQLite: a statement cancelled under its caller (a WebSocket closed mid-mutation, a
    task cancelled at shutdown) leaves the connection to be rolled back and returned as
    after any failed statement, not invalidated.

    SQLAlchemy treats a cancellation as a lost connection and closes it at once, while the
    cancelled statement's cursor is still referenced (by the cancellation's traceback).
    SQLite keeps a connection closed with a statement open as a "zombie", its write
    transaction and the database file's write lock held until that statement is freed:
    every writer after it waited out the busy timeout and failed ("database is locked").
    Kept, the connection runs the rollback after the statement, in its own thread, and
    the lock goes with it (tests/integration/test_sqlite_cancel.py)."""
    if isinstance(context.original_exception, asyncio.CancelledError):
        context.is_disconnect = False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
