"""persistence/direct.py: a unit of work's statements sent straight through asyncpg behave
as SQLAlchemy's would (same transaction, same errors, seen by statement listeners)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from domain.errors import DomainError, ErrorCode
from persistence import direct
from persistence.database import Database
from persistence.tables import channels
from persistence.unique import as_user_error
from tests.conftest import unique

_CODE = select(channels.c.id, channels.c.code).where(channels.c.code == "x").limit(1)
_ADD = insert(channels)


def test_sqlite_and_no_transaction_answer_none(database_url: str) -> None:
    async def check() -> None:
        db = Database(database_url)
        try:
            async with db.engine.connect() as conn:
                # No transaction begun: SQLAlchemy (or reads/raw.py) runs it.
                assert await direct.execute(conn, _CODE) is None
                await conn.begin()
                found = await direct.execute(conn, _CODE)
                assert (found is None) == db.is_sqlite
        finally:
            await db.dispose()

    asyncio.run(check())


def test_statements_join_the_transaction_and_are_announced(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    code = unique("DIRECT")
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    async def check() -> None:
        db = Database(database_url)
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            row = {"code": code, "name": "n", "currency": "EUR", "created_at": datetime.now(UTC)}
            async with db.engine.connect() as conn:
                await conn.begin()
                assert await direct.execute(conn, _ADD, row, column_keys=True) is not None
                await conn.rollback()  # the insert went with the transaction
            async with db.engine.connect() as conn:
                found = await conn.execute(select(channels.c.id).where(channels.c.code == code))
                assert found.first() is None
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
            await db.dispose()

    asyncio.run(check())
    assert any(s.startswith("INSERT INTO channels") for s in seen)


def test_a_unique_violation_is_sqlalchemys_integrity_error(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    code = unique("DUP")
    row = {"code": code, "name": "n", "currency": "EUR", "created_at": datetime.now(UTC)}

    async def check() -> BaseException:
        db = Database(database_url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(_ADD, row)
            async with db.engine.connect() as conn:
                await conn.begin()
                try:
                    await direct.execute(conn, _ADD, row, column_keys=True)
                except IntegrityError as error:
                    assert not conn.invalidated
                    await conn.rollback()
                    return error
                raise AssertionError("the second insert went through")
        finally:
            await db.dispose()

    error = asyncio.run(check())
    lost = as_user_error(error)
    assert isinstance(lost, DomainError)
    assert [e.code for e in lost.errors] == [ErrorCode.DUPLICATE]
