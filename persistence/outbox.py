"""Transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

import json
from collections.abc import Sequence

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.codec import Json, payload
from domain.events import DomainEvent
from persistence import direct, raw_writes
from persistence.clock import utcnow
from persistence.repositories.channel_atp import Published, set_available_pg
from persistence.tables import outbox

_INSERT = insert(outbox)
# PostgreSQL: every row of a commit in one statement through asyncpg (persistence/direct.py;
# executemany sent a Bind/Execute per row, and PostgreSQL ran each as its own INSERT); the
# payloads as one JSON array encoded by orjson, split by json_array_elements (each
# element's text as written), the topics as one array literal. Ids follow the order
# raised (the sequence is drawn after the sort).
_INSERT_PG = """
INSERT INTO outbox (topic, payload, created_at)
SELECT t.topic, e.payload, $3
FROM json_array_elements($2::json) WITH ORDINALITY AS e(payload, n)
JOIN unnest($1::text::text[]) WITH ORDINALITY AS t(topic, n) ON t.n = e.n
ORDER BY e.n"""


def _outbox_arrays(raised: Sequence[tuple[str, dict[str, Json]]]) -> tuple[str, str]:
    return raw_writes.text_array(topic for topic, _ in raised), _json_text(
        [body for _, body in raised]
    )


def _json_text(body: list[dict[str, Json]]) -> str:
    try:
        return orjson.dumps(body).decode()
    except orjson.JSONEncodeError:
        # What orjson refuses (an int beyond 64 bits), the standard library writes, as the
        # JSON column did before.
        return json.dumps(body)


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
