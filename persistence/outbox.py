"""Transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.codec import Json, payload
from domain.events import DomainEvent
from persistence import direct
from persistence.clock import utcnow
from persistence.repositories.channel_atp import Published, set_available_pg
from persistence.tables import outbox

_INSERT = insert(outbox)
# PostgreSQL: the batch as two arrays, one statement through asyncpg (persistence/direct.py);
# rows are numbered in array order, the order the events were raised.
_INSERT_PG = (
    "INSERT INTO outbox (topic, payload, created_at) "
    "SELECT topic, CAST(payload AS json), $3 FROM unnest($1::text[], $2::text[]) AS x(topic, payload)"
)


def _outbox_arrays(raised: Sequence[tuple[str, dict[str, Json]]]) -> tuple[list[str], list[str]]:
    return [topic for topic, _ in raised], [json.dumps(body) for _, body in raised]


async def _run(conn: AsyncConnection, sql: str, *args: object) -> None:
    if await direct.fetch(conn, sql, *args) is None:
        # Values are only kept back inside a PostgreSQL transaction, where direct runs.
        raise RuntimeError("channel ATP values kept for a commit outside a transaction")


def outbox_rows(events: Sequence[DomainEvent]) -> list[tuple[str, dict[str, Json]]]:
    """(topic, JSON payload) per event, in the order raised; the format the relay reads."""
    return [(event.topic, payload(event)) for event in events]


async def write_events(
    conn: AsyncConnection, events: Sequence[DomainEvent], published: Published | None = None
) -> int:
    """Insert the events' outbox rows; returns how many. `published`: channel ATP values
    kept back for the commit (channel_atp.set_published, PostgreSQL), written in the same
    statement."""
    if published is not None:
        if not events:
            await _run(conn, set_available_pg(), *published)
            return 0
        raised = outbox_rows(events)
        sql = f"WITH published AS ({set_available_pg(4)}) {_INSERT_PG}"
        await _run(conn, sql, *_outbox_arrays(raised), utcnow(), *published)
        return len(raised)
    if not events:
        return 0
    now = utcnow()
    if conn.dialect.name == "postgresql":
        raised = outbox_rows(events)
        if await direct.fetch(conn, _INSERT_PG, *_outbox_arrays(raised), now) is not None:
            return len(raised)
    rows = [
        {"topic": topic, "payload": body, "created_at": now} for topic, body in outbox_rows(events)
    ]
    await conn.execute(_INSERT, rows)
    return len(rows)
