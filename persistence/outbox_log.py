"""The outbox as an event log: sequencing committed rows, reading them back in order.

Writers only insert rows (persistence/outbox.py). The relay then stamps each committed,
unsequenced row with the next `seq`, in id order, while holding the row lock of the one
`outbox_sequence` row: relays on every worker queue behind that lock, and the statements
after it see everything committed before it, so `seq` is gapless and follows commit order.
Two writes to one entity are ordered by the entity's own row lock, and the later one's
outbox row is inserted after the earlier one committed, so per entity `seq` order is
commit order. Readers tail `seq > last_seen`: a reader can never see seq N+1 without N.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.tables import outbox, outbox_sequence


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    topic: str
    payload: dict[str, Any]


async def sequence_batch(conn: AsyncConnection, now: datetime, limit: int) -> tuple[int, int]:
    """Stamp up to `limit` committed rows with the next sequence numbers; returns how many
    and the last number handed out. Call inside a transaction and commit promptly: other
    relays wait on the counter row meanwhile."""
    # The first statement is a write so SQLite takes its write lock up front, and the
    # PostgreSQL row lock orders relays; RETURNING reads the value the previous holder left.
    base = (
        await conn.execute(
            update(outbox_sequence)
            .where(outbox_sequence.c.id == 1)
            .values(last_seq=outbox_sequence.c.last_seq)
            .returning(outbox_sequence.c.last_seq)
        )
    ).scalar_one()
    pending = (
        select(outbox.c.id, func.row_number().over(order_by=outbox.c.id).label("n"))
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
        .subquery()
    )
    stamped = list(
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == pending.c.id)
            .values(seq=base + pending.c.n, published_at=now)
            .returning(outbox.c.seq)
        )
    )
    if not stamped:
        return 0, int(base)
    last = int(base) + len(stamped)
    await conn.execute(
        update(outbox_sequence).where(outbox_sequence.c.id == 1).values(last_seq=last)
    )
    return len(stamped), last


async def last_sequenced(conn: AsyncConnection) -> int:
    """Where a new reader starts: it sees what is sequenced after it started, not history."""
    value = (
        await conn.execute(select(outbox_sequence.c.last_seq).where(outbox_sequence.c.id == 1))
    ).scalar_one_or_none()
    return int(value or 0)


async def read_after(conn: AsyncConnection, seq: int, limit: int) -> list[LoggedEvent]:
    rows = await conn.execute(
        select(outbox.c.seq, outbox.c.topic, outbox.c.payload)
        .where(outbox.c.seq > seq)
        .order_by(outbox.c.seq)
        .limit(limit)
    )
    return [LoggedEvent(int(row.seq), row.topic, row.payload) for row in rows]


async def purge_sequenced_before(conn: AsyncConnection, cutoff: datetime) -> int:
    result = await conn.execute(delete(outbox).where(outbox.c.published_at < cutoff))
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class Backlog:
    rows: int
    oldest: datetime | None


async def unsequenced_backlog(conn: AsyncConnection) -> Backlog:
    """Committed rows not yet sequenced (relay lag): how many, and since when."""
    row = (
        await conn.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(
                outbox.c.published_at.is_(None)
            )
        )
    ).one()
    return Backlog(int(row[0]), row[1])
