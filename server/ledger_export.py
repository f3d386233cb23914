"""`orchestra export ledger --from DATE --to DATE [--format csv|jsonl] [--output FILE]`:
a general-ledger batch for an ERP (docs/ledger.md, "Export").

Dates are UTC days, both included. A range exported for the first time becomes a batch:
every entry of the range not yet exported (and late entries of earlier batches' ranges),
claimed in the same transaction that records the batch, so each entry is exported exactly
once across runs. Running a recorded range again reproduces that batch byte for byte
(checked against the checksum recorded the first time), whatever was posted since.

Entries stream in chunks of CHUNK (constant memory for a month of postings). A file is
written to a temporary name and renamed after the commit: whole or not at all; if writing
fails, run the same range again.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ledger.export import Checksum, gl_records, header, render_records
from persistence.database import Database
from persistence.repositories import ledger_exports as store

CHUNK = 2_000


class ExportError(Exception):
    """What the operator asked for cannot be done (bad range, a batch that changed)."""


@dataclass(slots=True)
class Written:
    entries: int = 0
    lines: int = 0
    first_entry_id: int | None = None
    last_entry_id: int | None = None


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def export_ledger(db: Database, date_from: date, date_to: date, fmt: str, output: str) -> int:
    try:
        with _target(output) as out:
            message = await write_batch(db, date_from, date_to, fmt, out)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(message, file=sys.stderr)
    return 0


async def ledger_batch(
    db: Database, date_from: date, date_to: date, fmt: str, now: datetime | None = None
) -> tuple[bytes, str]:
    """The batch's whole file in memory and what it was (tests, small ranges)."""
    out = io.BytesIO()
    message = await write_batch(db, date_from, date_to, fmt, out, now)
    return out.getvalue(), message


async def write_batch(
    db: Database,
    date_from: date,
    date_to: date,
    fmt: str,
    out: BinaryIO,
    now: datetime | None = None,
) -> str:
    """Write the range's batch to `out` (a new one, or the recorded one again); a line
    saying which."""
    if date_to < date_from:
        raise ExportError(f"--to {date_to} is before --from {date_from}")
    async with _transaction(db) as conn:
        await store.lock_exports(conn)
        batch = await store.batch_for(conn, date_from, date_to)
        if batch is not None:
            written, digest = await _stream(conn, batch.id, fmt, out)
            if digest != batch.checksum:
                raise ExportError(
                    f"batch {batch.id} no longer matches its checksum: the journal was changed"
                )
            what = f"reproduced batch {batch.id} of {batch.created_at.isoformat()}"
        else:
            batch_id = await store.open_batch(
                conn,
                date_from,
                date_to,
                day_start(date_from),
                day_start(date_to + timedelta(days=1)),
                now or datetime.now(UTC),
            )
            written, digest = await _stream(conn, batch_id, fmt, out)
            await store.close_batch(
                conn,
                batch_id,
                entries=written.entries,
                lines=written.lines,
                first_entry_id=written.first_entry_id,
                last_entry_id=written.last_entry_id,
                checksum=digest,
            )
            what = f"exported new batch {batch_id}"
    return f"{what}: {written.entries} entries, {written.lines} lines ({date_from}..{date_to})"


async def _stream(
    conn: AsyncConnection, batch_id: int, fmt: str, out: BinaryIO
) -> tuple[Written, str]:
    written, digest = Written(), Checksum()
    out.write(header(fmt))
    after = 0
    while True:
        entries = await store.batch_entries(conn, batch_id, after, CHUNK)
        if not entries:
            return written, digest.hexdigest()
        records = list(gl_records(batch_id, entries))
        out.write(render_records(records, fmt))
        digest.add(records)
        after = entries[-1].id or after
        if written.first_entry_id is None:
            written.first_entry_id = entries[0].id
        written.last_entry_id = after
        written.entries += len(entries)
        written.lines += len(records)


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


@contextmanager
def _target(output: str) -> Iterator[BinaryIO]:
    """stdout ("-"), or a temporary file beside `output` renamed over it on success."""
    if output == "-":
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:
            yield binary
            binary.flush()
            return
        buffer = io.BytesIO()  # a text stream (tests capture stdout in a StringIO)
        yield buffer
        sys.stdout.write(buffer.getvalue().decode())
        return
    folder = os.path.dirname(os.path.abspath(output))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ledger-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, output)
    except BaseException:
        os.unlink(temporary)
        raise
