"""The outbox as an event log: sequencing committed rows, reading them back in order.

Writers only insert rows (persistence/outbox.py). The relay then stamps each committed,
unsequenced row with the next `seq`, in id order, while holding a lock that serialises
relays on every worker (a transaction-scoped advisory lock on PostgreSQL; SQLite has one
writer at a time): the statements after it see everything committed before it, so `seq`
is gapless and follows commit order. The counter lives in the `outbox_sequence` row.
Two writes to one entity are ordered by the entity's own row lock, and the later one's
outbox row is inserted after the earlier one committed, so per entity `seq` order is
commit order. Readers tail `seq > last_seen`: a reader can never see seq N+1 without N.

A row may carry a run of events (`events` > 1, persistence/outbox.py): it is handed that
many numbers, and its `seq` is the last of them; readers get one LoggedEvent per event,
so the log they see is the same as with a row per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.tables import outbox, outbox_sequence


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    topic: str
    payload: dict[str, Any]


# The PostgreSQL relay lock (pg_advisory_xact_lock): released at commit, after the commit is
# visible, so the next holder's statements see every number handed out before.
RELAY_LOCK_KEY = 0x6F7574626F78  # "outbox"

# One round trip after the lock: stamp the batch and move the counter together. The
# statement's snapshot is taken after the lock was granted, so it sees the last holder's
# commit; the data-modifying CTEs all see that one snapshot.
_SEQUENCE_PG = text(
    """
WITH base AS (SELECT last_seq FROM outbox_sequence WHERE id = 1),
pending AS (
    SELECT id, sum(events) OVER (ORDER BY id) AS upto FROM outbox
    WHERE published_at IS NULL ORDER BY id LIMIT :limit),
stamped AS (
    UPDATE outbox SET seq = base.last_seq + pending.upto, published_at = :now
    FROM pending, base WHERE outbox.id = pending.id
    RETURNING outbox.seq, outbox.topic, outbox.payload, outbox.events),
bumped AS (
    UPDATE outbox_sequence SET last_seq = last_seq + (SELECT sum(events) FROM stamped)
    WHERE id = 1 AND EXISTS (SELECT FROM stamped))
SELECT seq, topic, payload, events FROM stamped ORDER BY seq
"""
).columns(seq=BigInteger, topic=String, payload=JSON, events=Integer)


def payloads(payload: Any, events: int) -> list[Any]:
    """The event payloads one outbox row carries, in the order raised."""
    return [payload] if events == 1 else list(payload)


def logged(seq: int, topic: str, payload: Any, events: int) -> list[LoggedEvent]:
    """The events of one outbox row; `seq` is the row's, the last of its events'."""
    first = seq - events + 1
    return [LoggedEvent(first + i, topic, body) for i, body in enumerate(payloads(payload, events))]


def _logged(rows: Any) -> list[LoggedEvent]:
    found: list[LoggedEvent] = []
    for row in rows:
        found += logged(int(row.seq), row.topic, row.payload, int(row.events))
    return found


async def sequence_batch(
    conn: AsyncConnection, now: datetime, limit: int
) -> tuple[list[LoggedEvent], int]:
    """Stamp up to `limit` committed rows with the next sequence numbers; returns their
    events (in seq order: at least one per row, so `limit` or more when the rows were
    `limit`) and the last number handed out (0 when none). Call inside a transaction and
    commit promptly: other relays wait for it meanwhile."""
    if conn.dialect.name == "postgresql":
        # Labelled so the statement names what it is for (pg_stat_activity, logs).
        await conn.execute(
            select(func.pg_advisory_xact_lock(RELAY_LOCK_KEY).label("outbox_relay_lock"))
        )
        rows = await conn.execute(_SEQUENCE_PG, {"limit": limit, "now": now})
        stamped = _logged(rows)
        return stamped, stamped[-1].seq if stamped else 0
    # SQLite (one writer at a time anyway).
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
        select(outbox.c.id, func.sum(outbox.c.events).over(order_by=outbox.c.id).label("upto"))
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
        .subquery()
    )
    rows = await conn.execute(
        update(outbox)
        .where(outbox.c.id == pending.c.id)
        .values(seq=base + pending.c.upto, published_at=now)
        .returning(outbox.c.seq, outbox.c.topic, outbox.c.payload, outbox.c.events)
    )
    stamped = sorted(_logged(rows), key=lambda e: e.seq)
    if not stamped:
        return [], 0
    last = stamped[-1].seq
    await conn.execute(
        update(outbox_sequence).where(outbox_sequence.c.id == 1).values(last_seq=last)
    )
    return stamped, last


async def last_sequenced(conn: AsyncConnection) -> int:
    """Where a new reader starts: it sees what is sequenced after it started, not history."""
    return (await log_head(conn))[0]


async def log_head(conn: AsyncConnection) -> tuple[int, str]:
    """The last sequence number handed out, and the log's random id (it names the log on
    the Redis doorbell, so two databases sharing a Redis never take each other's rings)."""
    row = (
        await conn.execute(
            select(outbox_sequence.c.last_seq, outbox_sequence.c.log_id).where(
                outbox_sequence.c.id == 1
            )
        )
    ).one()
    return int(row.last_seq), str(row.log_id)


async def read_after(conn: AsyncConnection, seq: int, limit: int) -> list[LoggedEvent]:
    """The events after `seq`, from up to `limit` rows: `limit` or more events when there
    may be more to read."""
    rows = await conn.execute(
        select(outbox.c.seq, outbox.c.topic, outbox.c.payload, outbox.c.events)
        .where(outbox.c.seq > seq)
        .order_by(outbox.c.seq)
        .limit(limit)
    )
    return [event for event in _logged(rows) if event.seq > seq]


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
