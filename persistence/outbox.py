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
from persistence.tables import outbox

_INSERT = insert(outbox)
# PostgreSQL: the batch as two arrays, one statement through asyncpg (persistence/direct.py);
# rows are numbered in array order, the order the events were raised.
_INSERT_PG = (
    "INSERT INTO outbox (topic, payload, created_at) "
    "SELECT topic, CAST(payload AS json), $3 FROM unnest($1::text[], $2::text[]) AS x(topic, payload)"
)


def outbox_rows(events: Sequence[DomainEvent]) -> list[tuple[str, dict[str, Json]]]:
    """(topic, JSON payload) per event, in the order raised; the format the relay reads."""
    return [(event.topic, payload(event)) for event in events]


async def write_events(conn: AsyncConnection, events: Sequence[DomainEvent]) -> int:
    """Insert the events' outbox rows; returns how many."""
    if not events:
        return 0
    now = utcnow()
    if conn.dialect.name == "postgresql":
        raised = outbox_rows(events)
        topics = [topic for topic, _ in raised]
        bodies = [json.dumps(body) for _, body in raised]
        if await direct.fetch(conn, _INSERT_PG, topics, bodies, now) is not None:
            return len(raised)
    rows = [
        {"topic": topic, "payload": body, "created_at": now} for topic, body in outbox_rows(events)
    ]
    await conn.execute(_INSERT, rows)
    return len(rows)
