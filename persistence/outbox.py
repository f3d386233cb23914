"""Transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.codec import Json, payload
from domain.events import DomainEvent
from persistence.clock import utcnow
from persistence.tables import outbox

_INSERT = insert(outbox)


def outbox_rows(events: Sequence[DomainEvent]) -> list[tuple[str, dict[str, Json]]]:
    """(topic, JSON payload) per event, in the order raised; the format the relay reads."""
    return [(event.topic, payload(event)) for event in events]


async def write_events(conn: AsyncConnection, events: Sequence[DomainEvent]) -> int:
    """Insert the events' outbox rows; returns how many."""
    if not events:
        return 0
    now = utcnow()
    rows = [
        {"topic": topic, "payload": body, "created_at": now} for topic, body in outbox_rows(events)
    ]
    await conn.execute(_INSERT, rows)
    return len(rows)
