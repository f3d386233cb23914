"""Transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.clock import utcnow
from persistence.tables import outbox


class SqlOutbox:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def add(self, topic: str, payload: dict[str, Any]) -> None:
        self.pending.append({"topic": topic, "payload": payload})

    async def flush(self, conn: AsyncConnection) -> int:
        if not self.pending:
            return 0
        now = utcnow()
        rows = [{**event, "created_at": now} for event in self.pending]
        await conn.execute(insert(outbox), rows)
        count = len(rows)
        self.pending.clear()
        return count
