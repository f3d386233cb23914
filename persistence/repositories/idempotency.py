"""Scoped idempotency keys (domain/idempotency.py), one row each in `idempotency_keys`."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.idempotency import Claim, Claimed, IdempotencyKey, judge
from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import idempotency_keys

_k = idempotency_keys.c


def _is(key: IdempotencyKey) -> ColumnElement[bool]:
    return and_(_k.scope == key.scope, _k.operation == key.operation, _k.key == key.key)


class SqlIdempotencyStore:
    """Claims are rows of the unit of work's transaction: they commit with the work or not
    at all. Needs READ COMMITTED (the default) on PostgreSQL: a claim that waited for
    another transaction's row must then see it."""

    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self.unfinished: set[IdempotencyKey] = set()

    async def claim(self, key: IdempotencyKey, request_hash: str) -> Claim:
        if key in self.unfinished:
            raise RuntimeError(f"{key} claimed twice in one unit of work")
        # ON CONFLICT waits while another open transaction holds the same key, then does
        # nothing if that one committed: the loser reads the winner's row below.
        stmt = (
            self.db.insert(idempotency_keys)
            .values(
                scope=key.scope,
                operation=key.operation,
                key=key.key,
                request_hash=request_hash,
                result_ref=None,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=[_k.scope, _k.operation, _k.key])
            .returning(_k.scope)
        )
        if (await self.conn.execute(stmt)).first() is not None:
            self.unfinished.add(key)
            return Claimed()
        query = select(_k.request_hash, _k.result_ref).where(_is(key))
        row = (await self.conn.execute(query)).one()
        return judge(row.request_hash, row.result_ref, request_hash)

    async def complete(self, key: IdempotencyKey, result_ref: str) -> None:
        if key not in self.unfinished:
            raise RuntimeError(f"{key} was not claimed in this unit of work")
        await self.conn.execute(
            update(idempotency_keys).where(_is(key)).values(result_ref=result_ref)
        )
        self.unfinished.discard(key)
