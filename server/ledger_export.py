"""`orchestra export ledger --from DATE --to DATE [--format csv|jsonl] [--output FILE]`:
a general-ledger batch for an ERP (docs/ledger.md, "Export").

Dates are UTC days, both included. A range exported for the first time becomes a batch:
every entry of the range not yet exported (and late entries of earlier batches' ranges),
recorded in the same transaction as the batch, so each entry is exported exactly once
across runs. Running a recorded range again reproduces that batch byte for byte (checked
against the checksum recorded the first time), whatever was posted since. The file is
written after the commit, whole or not at all; if writing fails, run the same range again.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ledger.export import checksum, gl_records, render
from domain.ledger.model import JournalEntry
from persistence.database import Database
from persistence.repositories import ledger_exports as store


class ExportError(Exception):
    """What the operator asked for cannot be done (bad range, a batch that changed)."""


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def export_ledger(db: Database, date_from: date, date_to: date, fmt: str, output: str) -> int:
    try:
        data, message = await ledger_batch(db, date_from, date_to, fmt)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _write(output, data)
    print(message, file=sys.stderr)
    return 0


async def ledger_batch(
    db: Database, date_from: date, date_to: date, fmt: str, now: datetime | None = None
) -> tuple[bytes, str]:
    """The batch's file and a line saying what it was (new or reproduced)."""
    if date_to < date_from:
        raise ExportError(f"--to {date_to} is before --from {date_from}")
    async with _transaction(db) as conn:
        await store.lock_exports(conn)
        batch = await store.batch_for(conn, date_from, date_to)
        if batch is not None:
            entries = await store.batch_entries(conn, batch.id)
            records = list(gl_records(batch.id, entries))
            if checksum(records) != batch.checksum:
                raise ExportError(
                    f"batch {batch.id} no longer matches its checksum: the journal was changed"
                )
            what = f"reproduced batch {batch.id} of {batch.created_at.isoformat()}"
            return render(records, fmt), _summary(what, date_from, date_to, entries, records)
        batch_id = await store.open_batch(
            conn,
            date_from,
            date_to,
            day_start(date_from),
            day_start(date_to + timedelta(days=1)),
            now or datetime.now(UTC),
        )
        entries = await store.batch_entries(conn, batch_id)
        records = list(gl_records(batch_id, entries))
        await store.close_batch(conn, batch_id, entries, checksum(records))
    what = f"exported new batch {batch_id}"
    return render(records, fmt), _summary(what, date_from, date_to, entries, records)


@asynccontextmanager
async def _transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    """A transaction that commits on success; in-process writers to SQLite take turns."""
    lock = db.write_lock
    if lock is not None:
        await lock.acquire()
    try:
        async with db.engine.begin() as conn:
            yield conn
    finally:
        if lock is not None:
            lock.release()


def _summary(
    what: str,
    date_from: date,
    date_to: date,
    entries: Sequence[JournalEntry],
    records: Sequence[dict[str, str]],
) -> str:
    return f"{what}: {len(entries)} entries, {len(records)} lines ({date_from}..{date_to})"


def _write(output: str, data: bytes) -> None:
    if output == "-":
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:
            binary.write(data)
        else:  # a text stream (tests capture stdout in a StringIO)
            sys.stdout.write(data.decode())
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ledger-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, output)
    except BaseException:
        os.unlink(temporary)
        raise
