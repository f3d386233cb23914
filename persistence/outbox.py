"""Transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Sequence

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.codec import Json, payload
from domain.events import DomainEvent
from persistence import raw_writes
from persistence.clock import utcnow
from persistence.tables import outbox

_INSERT = insert(outbox)
# PostgreSQL: every row of a commit in one statement (executemany sent a Bind/Execute per
# row, and PostgreSQL ran each as its own INSERT); the payloads as one JSON array encoded
# by orjson, split by json_array_elements (each element's text as written). Ids follow the
# order raised, as before (the sequence is drawn after the sort).
_INSERT_PG = """
INSERT INTO outbox (topic, payload, created_at)
SELECT t.topic, e.payload, $3
FROM json_array_elements($2::json) WITH ORDINALITY AS e(payload, n)
JOIN unnest($1::text::text[]) WITH ORDINALITY AS t(topic, n) ON t.n = e.n
ORDER BY e.n"""


def outbox_rows(events: Sequence[DomainEvent]) -> list[tuple[str, dict[str, Json]]]:
    """(topic, JSON payload) per event, in the order raised; the format the relay reads."""
    return [(event.topic, payload(event)) for event in events]


async def write_events(conn: AsyncConnection, events: Sequence[DomainEvent]) -> int:
    """Insert the events' outbox rows; returns how many."""
    if not events:
        return 0
    now = utcnow()
    if conn.dialect.name == "postgresql":
        encoded = outbox_rows(events)
        topics = raw_writes.text_array(topic for topic, _ in encoded)
        bodies = _json_text([body for _, body in encoded])
        await raw_writes.execute(conn, _INSERT_PG, topics, bodies, now)
        return len(encoded)
    rows = [
        {"topic": topic, "payload": body, "created_at": now} for topic, body in outbox_rows(events)
    ]
    await conn.execute(_INSERT, rows)
    return len(rows)


def _json_text(body: list[dict[str, Json]]) -> str:
    try:
        return orjson.dumps(body).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses (an int beyond 64 bits), the standard library writes, as the
        # JSON column did before.
        return json.dumps(body)
