"""On the SQLite pass, a test that leaves the shared database file's write lock held fails
itself, naming the connections still in a transaction and where each was checked out.

Without this, a connection left in a write transaction makes every later writer of the
run wait out SQLite's 30 s busy timeout and fail, far from the test that caused it.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import greenlet
from sqlalchemy import event
from sqlalchemy.pool import Pool

ROOT = str(Path(__file__).resolve().parent.parent)
# How long another writer may legitimately hold the lock (a relay batch, a sweep).
PATIENCE_SECONDS = 10.0

_checked_out: dict[int, str] = {}
_guard = threading.Lock()


def watch_checkouts() -> None:
    """Remember where each pooled connection was last checked out (test runs only)."""
    if event.contains(Pool, "checkout", _on_checkout):
        return
    event.listen(Pool, "checkout", _on_checkout)


def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    raw = _sqlite_of(dbapi_connection)
    if raw is not None:
        with _guard:
            _checked_out[id(raw)] = _where()


def _where() -> str:
    """The project's own frames of the current stack (the library's are the same each time)."""
    stack = traceback.extract_stack()[:-2]
    # SQLAlchemy runs the checkout in a greenlet; the awaiting coroutines are on its parent's.
    parent = greenlet.getcurrent().parent
    if parent is not None and parent.gr_frame is not None:
        stack = traceback.extract_stack(parent.gr_frame) + stack
    frames = [
        frame
        for frame in stack
        if frame.filename.startswith(ROOT) and "/.venv/" not in frame.filename
    ]
    return "".join(traceback.format_list(frames))


def _sqlite_of(dbapi_connection: Any) -> sqlite3.Connection | None:
    inner = getattr(dbapi_connection, "_connection", dbapi_connection)  # SQLAlchemy's adapter
    inner = getattr(inner, "_connection", inner)  # aiosqlite's thread-owned connection
    return inner if isinstance(inner, sqlite3.Connection) else None


def write_lock_free(path: str, patience: float = PATIENCE_SECONDS) -> bool:
    """True once a writer of its own gets the lock within the patience (seconds)."""
    probe = sqlite3.connect(path, timeout=patience, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def holders() -> str:
    """Every open SQLite connection of this process still in a transaction."""
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, sqlite3.Connection):
            try:
                open_transaction = obj.in_transaction
            except sqlite3.Error:
                continue  # closed
            if open_transaction:
                with _guard:
                    where = _checked_out.get(id(obj), "(never checked out of a pool)\n")
                found.append(f"connection {id(obj):#x} in a transaction, checked out at:\n{where}")
    found += _zombies()
    return "\n".join(found) or "no connection of this process is in a transaction"


def _zombies() -> list[str]:
    """Cursors kept alive on a closed connection: SQLite keeps a connection closed with a
    statement not finalized as a 'zombie', its transaction (and write lock) still open,
    until the last statement goes."""
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, sqlite3.Cursor):
            try:
                obj.connection.in_transaction  # noqa: B018 - raises once closed
            except sqlite3.ProgrammingError:
                holders = [type(r).__name__ for r in gc.get_referrers(obj)][:8]
                found.append(f"a cursor on a closed connection, held by {holders}")
    return found


def assert_write_lock_free(path: str, test: str) -> None:
    started = time.monotonic()
    if not write_lock_free(path):
        waited = time.monotonic() - started
        raise AssertionError(
            f"{test} left the SQLite write lock held (still held after {waited:.0f} s):\n"
            + holders()
        )
