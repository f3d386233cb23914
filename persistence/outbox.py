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
# element's text as written), the topics and event counts as array literals. Ids follow
# the order raised (the sequence is drawn after the sort).
_INSERT_PG = """
INSERT INTO outbox (topic, payload, events, created_at)
SELECT t.topic, e.payload, t.events, $3
FROM json_array_elements($2::json) WITH ORDINALITY AS e(payload, n)
JOIN unnest($1::text::text[], $4::text::int[]) WITH ORDINALITY AS t(topic, events, n)
    ON t.n = e.n
ORDER BY e.n"""
# Events per row at most: a row is read, stamped and sent whole.
MAX_RUN = 1000

OutboxRow = tuple[str, Json, int]  # topic, payload (the event's, or a run's array), events


def _outbox_arrays(rows: Sequence[OutboxRow]) -> tuple[str, str, str]:
    return (
        raw_writes.text_array(topic for topic, _, _ in rows),
        _json_text([body for _, body, _ in rows]),
        raw_writes.int_array(events for _, _, events in rows),
    )


def _json_text(body: list[Json]) -> str:
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


def outbox_rows(events: Sequence[DomainEvent]) -> list[OutboxRow]:
    """The outbox rows of events in the order raised: consecutive events of one topic (a
    batch's AvailabilityChanged, say) share a row, up to MAX_RUN; a single event's row
    holds its payload, a run's the array of its payloads (the format the relay reads)."""
    rows: list[OutboxRow] = []
    run: list[Json] = []
    topic = ""
    for event in events:
        if run and (event.topic != topic or len(run) == MAX_RUN):
            rows.append(_row(topic, run))
            run = []
        topic = event.topic
        run.append(payload(event))
    if run:
        rows.append(_row(topic, run))
    return rows


def _row(topic: str, run: list[Json]) -> OutboxRow:
    return (topic, run[0], 1) if len(run) == 1 else (topic, run, len(run))


async def write_events(
    conn: AsyncConnection, events: Sequence[DomainEvent], published: Published | None = None
) -> int:
    """Insert the events' outbox rows; returns how many events. `published`: channel ATP values
    kept back for the commit (channel_atp.set_published, PostgreSQL), written in the same
    statement."""
    if published is not None:
        if not events:
            await _run(conn, set_available_pg(), *published)
            return 0
        topics, bodies, counts = _outbox_arrays(outbox_rows(events))
        sql = f"WITH published AS ({set_available_pg(5)}) {_INSERT_PG}"
        await _run(conn, sql, topics, bodies, utcnow(), counts, *published)
        return len(events)
    if not events:
        return 0
    now = utcnow()
    raised = outbox_rows(events)
    if conn.dialect.name == "postgresql":
        topics, bodies, counts = _outbox_arrays(raised)
        if await direct.fetch(conn, _INSERT_PG, topics, bodies, now, counts) is not None:
            return len(events)
    rows = [
        {"topic": topic, "payload": body, "events": count, "created_at": now}
        for topic, body, count in raised
    ]
    await conn.execute(_INSERT, rows)
    return len(events)
