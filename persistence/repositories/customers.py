"""Customers, found or created by normalized e-mail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.customers.model import Customer
from domain.ids import new_id
from persistence import direct
from persistence.clock import aware
from persistence.database import Database
from persistence.tables import customers

_c = customers.c


def customer_from(row: Any) -> Customer:
    return Customer(row.id, row.email, aware(row.created_at), row.name)


class SqlCustomerRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def by_email(self, email: str) -> Customer | None:
        row = (await self.conn.execute(select(customers).where(_c.email == email))).first()
        return customer_from(row) if row is not None else None

    async def by_ids(self, ids: Iterable[str]) -> dict[str, Customer]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self.conn.execute(select(customers).where(self.db.one_of(_c.id, wanted)))
        return {row.id: customer_from(row) for row in rows}

    async def ensure(self, email: str, name: str | None, now: datetime) -> Customer:
        # A returning customer is one read. A new one: ON CONFLICT DO NOTHING waits for a
        # concurrent insert of the same e-mail, then yields to it, and the second read sees
        # the winner's row (READ COMMITTED).
        if not self.db.is_sqlite:
            return await self._ensure_pg(email, name, now)
        found = await self.by_email(email)
        if found is not None:
            return found
        stmt = (
            self.db.insert(customers)
            .values(id=new_id(), email=email, name=name, created_at=now)
            .on_conflict_do_nothing(index_elements=[_c.email])
            .returning(*customers.c)
        )
        row = (await self.conn.execute(stmt)).first()
        if row is not None:
            return customer_from(row)
        found = await self.by_email(email)
        assert found is not None, "a conflicting customer row must exist"
        return found

    async def _ensure_pg(self, email: str, name: str | None, now: datetime) -> Customer:
        """One statement, new or returning: insert unless the e-mail exists, else read it.
        When a concurrent checkout inserted the same e-mail, ON CONFLICT waits for it and
        yields, and the statement's snapshot (taken before) may not show the winner's row:
        the read after it, a new snapshot, does."""
        params = {"c_id": new_id(), "c_email": email, "c_name": name, "c_created_at": now}
        rows = await direct.rows(self.conn, _ENSURE_PG, params)
        if rows:
            return customer_from(rows[0])
        found = await self.by_email(email)
        assert found is not None, "a conflicting customer row must exist"
        return found


def _ensure_statement() -> Any:
    inserted = (
        postgresql.insert(customers)
        .values(
            id=bindparam("c_id"),
            email=bindparam("c_email"),
            name=bindparam("c_name"),
            created_at=bindparam("c_created_at"),
        )
        .on_conflict_do_nothing(index_elements=[_c.email])
        .returning(*customers.c)
        .cte("inserted")
    )
    existing = select(customers).where(_c.email == bindparam("c_email"))
    return select(inserted).union_all(existing)


_ENSURE_PG = _ensure_statement()  # built once: every checkout runs it
