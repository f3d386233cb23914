"""Background loops that stop between passes, not in the middle of one.

A worker's periodic jobs (the outbox relay, the hold sweeper, order jobs) each run a pass
in a transaction, then wait. Cancelling one mid-pass aborts its statement where it
stands: on PostgreSQL the transaction rolls back, but on SQLite the connection is closed
with a statement still open, and SQLite keeps such a connection as a "zombie", its write
transaction and the database file's write lock held, until that statement is freed (by
the garbage collector, whenever a traceback that references it goes). Every other writer
then waits out its busy timeout and fails. persistence/database.py now keeps any
connection whose statement is cancelled (`_cancelled_keeps_connection`), which is the
general remedy; a loop still should not lose a pass half done at every shutdown.

So `stop()` cancels a loop only while it waits between passes; a pass under way finishes
first (up to `grace` seconds, after which it is cancelled anyway: a shutdown never hangs).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

GRACE_SECONDS = 10.0


class Background:
    """One background task, cancelled only in `pause`."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self._task: asyncio.Task[None] | None = None
        self._waiting = False
        self._stopping = False

    def start(self, loop: Coroutine[Any, Any, None]) -> None:
        self._stopping = False
        self._task = asyncio.create_task(loop)

    async def pause(self, seconds: float, wakeup: asyncio.Event | None = None) -> bool:
        """Wait between passes, up to `seconds`: True when `wakeup` was set, False when the
        time ran out. Where a stop ends the loop (it raises CancelledError)."""
        if self._stopping:
            raise asyncio.CancelledError
        self._waiting = True
        try:
            if wakeup is None:
                await asyncio.sleep(seconds)
                return False
            try:
                await asyncio.wait_for(wakeup.wait(), seconds)
            except TimeoutError:
                return False
            return True
        finally:
            self._waiting = False

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if self._waiting:
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=self.grace)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
