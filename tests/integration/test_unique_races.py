"""Both requests pass the "is it free?" check, both insert: the loser is DUPLICATE, never a
server fault. Forced on PostgreSQL, where two transactions really run at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import CreateChannel, CreateProduct, VariantSpec
from domain.errors import DomainError, ErrorCode
from persistence.database import Database
from persistence.repositories.catalog import SqlCatalogRepository
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

pytestmark = pytest.mark.postgres


def race(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    check: str,
    attempt: Callable[[Database], Awaitable[Any]],
) -> list[Any]:
    """Run `attempt` twice at once, both held after the repository's `check` until both
    have made it, so each believes the key is free."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: the race cannot happen there")
    barrier = asyncio.Barrier(2)
    original = getattr(SqlCatalogRepository, check)

    async def held(self: SqlCatalogRepository, *args: Any) -> Any:
        found = await original(self, *args)
        await asyncio.wait_for(barrier.wait(), timeout=10)
        return found

    monkeypatch.setattr(SqlCatalogRepository, check, held)

    async def both() -> list[Any]:
        db = Database(database_url)
        try:
            return list(await asyncio.gather(attempt(db), attempt(db), return_exceptions=True))
        finally:
            await db.dispose()

    return asyncio.run(both())


def test_two_products_with_one_handle(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = unique("race")

    async def attempt(db: Database) -> Any:
        cmd = CreateProduct(handle, "t", (VariantSpec(unique("S"), "v"),))
        return await create_product(cmd, SqlUnitOfWork(db))

    outcomes = race(database_url, monkeypatch, "handle_exists", attempt)
    [lost] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(lost, DomainError), repr(lost)
    [error] = lost.errors
    assert (error.field, error.code) == (("input", "handle"), ErrorCode.DUPLICATE)


def test_two_channels_with_one_code(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code = unique("race")

    async def attempt(db: Database) -> Any:
        return await create_channel(CreateChannel(code, "n", "EUR"), SqlUnitOfWork(db))

    outcomes = race(database_url, monkeypatch, "channels_by_code", attempt)
    [lost] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(lost, DomainError), repr(lost)
    assert [(e.field, e.code) for e in lost.errors] == [(("input", "code"), ErrorCode.DUPLICATE)]
