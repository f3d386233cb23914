"""General-ledger export batches (docs/ledger.md, "Export").

A batch takes, once and for all, every journal entry not yet exported that is dated in its
range, plus late entries: those dated in the range of an earlier batch but committed after
it ran (a slow transaction straddling the export). Which batch took an entry is a row keyed
by the entry id, so an entry can never be exported twice; on PostgreSQL runs are also
serialized by a transaction-scoped advisory lock, so a concurrent run waits and then sees
what the first took, instead of failing on that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, insert, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ledger.model import JournalEntry
from persistence.clock import aware
from persistence.repositories.ledger import entries_from
from persistence.tables import journal_entries, journal_lines, ledger_export_entries, ledger_exports

_e = journal_entries.c
_l = journal_lines.c
_b = ledger_exports.c
_m = ledger_export_entries.c

# Any fixed key: only export runs take it (pg_advisory_xact_lock, released at commit).
EXPORT_LOCK = 0x4C454447  # "LEDG"


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    date_from: date
    date_to: date
    created_at: datetime
    entries: int
    lines: int
    first_entry_id: int | None
    last_entry_id: int | None
    checksum: str


async def lock_exports(conn: AsyncConnection) -> None:
    """One export run at a time (PostgreSQL; SQLite serializes writers by itself)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXPORT_LOCK})


async def batch_for(conn: AsyncConnection, date_from: date, date_to: date) -> Batch | None:
    row = (
        await conn.execute(
            select(ledger_exports).where(_b.date_from == date_from, _b.date_to == date_to)
        )
    ).first()
    if row is None:
        return None
    return Batch(
        row.id,
        row.date_from,
        row.date_to,
        aware(row.created_at),
        row.entries,
        row.lines,
        row.first_entry_id,
        row.last_entry_id,
        row.checksum,
    )


async def open_batch(
    conn: AsyncConnection,
    date_from: date,
    date_to: date,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> int:
    """Record a new batch and claim its entries for it; the batch id."""
    result = await conn.execute(
        insert(ledger_exports)
        .values(
            date_from=date_from,
            date_to=date_to,
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=now,
            entries=0,
            lines=0,
            checksum="",
        )
        .returning(_b.id)
    )
    batch_id = int(result.scalar_one())
    earlier = ledger_exports.alias("earlier")
    late = exists().where(
        earlier.c.id != batch_id, _e.at >= earlier.c.starts_at, _e.at < earlier.c.ends_at
    )
    taken = exists().where(_m.entry_id == _e.id)
    wanted = select(_e.id, literal(batch_id)).where(
        ~taken, or_(and_(_e.at >= starts_at, _e.at < ends_at), late)
    )
    await conn.execute(insert(ledger_export_entries).from_select(["entry_id", "batch_id"], wanted))
    return batch_id


async def batch_entries(
    conn: AsyncConnection, batch_id: int, after_id: int, limit: int
) -> list[JournalEntry]:
    """Up to `limit` entries the batch took after `after_id`, with their lines, in id order
    (one statement a chunk, so a month of entries streams in constant memory)."""
    chunk = (
        select(_m.entry_id.label("id"))
        .where(_m.batch_id == batch_id, _m.entry_id > after_id)
        .order_by(_m.entry_id)
        .limit(limit)
        .subquery()
    )
    rows = await conn.execute(
        select(journal_entries, _l.account, _l.debit, _l.credit, _l.currency)
        .join(chunk, chunk.c.id == _e.id)
        .outerjoin(journal_lines, _l.entry_id == _e.id)
        .order_by(_e.id, _l.position)
    )
    return entries_from(rows)


async def close_batch(
    conn: AsyncConnection,
    batch_id: int,
    *,
    entries: int,
    lines: int,
    first_entry_id: int | None,
    last_entry_id: int | None,
    checksum: str,
) -> None:
    await conn.execute(
        update(ledger_exports)
        .where(_b.id == batch_id)
        .values(
            entries=entries,
            lines=lines,
            first_entry_id=first_entry_id,
            last_entry_id=last_entry_id,
            checksum=checksum,
        )
    )
