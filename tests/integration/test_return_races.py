"""Returns under real concurrency (PostgreSQL: separate connections in parallel; SQLite has
one writer at a time, so nothing races there and these tests skip).

- Eight concurrent refunds of one received return: exactly one refunds, the others are
  INVALID_TRANSITION, and the payment shows one refund.
- Six concurrent returns of one unit each of a line with two shipped: exactly two are
  created; the line never holds more returned units than were shipped.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.access import Actor
from domain.errors import DomainError, ErrorCode
from domain.payments.builtin_gateway import TestGateway
from domain.returns import handlers
from domain.returns.rules import CreateReturn, ReturnLineRequest
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from resolvers import ids
from resolvers.orders import parse_order_id
from tests.api.floor import floor
from tests.api.test_returns_api import create, order_returns, receive, shipped_order
from tests.conftest import Api

STAFF = Actor(name="admin:races", kind="admin", token_id=1)


def _postgres_only(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time: no concurrent transactions to race")


async def _race(database_url: str, make: Any, n: int) -> list[Any]:
    db = Database(database_url, pool_size=n)
    try:
        return await asyncio.gather(*(make(db) for _ in range(n)), return_exceptions=True)
    finally:
        await db.dispose()


def test_concurrent_refunds_of_one_return_refund_once(api: Api, database_url: str) -> None:
    _postgres_only(database_url)
    shop = floor(api)
    order = shipped_order(shop, [(shop.skus[0], 2)])
    ret = create(api, order, [(0, 2)])["return"]
    line = order["lines"][0]["id"]
    assert receive(api, ret, shop.lille, [(line, 2, "RESTOCK")])["userErrors"] == []
    key = ids.parse_int_id(ret["id"], "Return")
    assert key is not None
    gateways = {"test": TestGateway()}

    async def refund(db: Database) -> Any:
        return await handlers.refund(key, STAFF, SqlUnitOfWork(db), gateways, datetime.now(UTC))

    results = asyncio.run(_race(database_url, refund, 8))
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1, results
    assert len(lost) == 7, results
    assert {e.errors[0].code for e in lost} == {ErrorCode.INVALID_TRANSITION}
    [payment] = order_returns(api, order)["payments"]
    assert Decimal(payment["refunded"]["amount"]) == Decimal("39.98")
    assert payment["status"] == "REFUNDED"
    history = [h["type"] for h in order_returns(api, order)["history"]]
    assert history.count("RETURN_REFUNDED") == 1


def test_concurrent_returns_never_take_more_than_shipped(api: Api, database_url: str) -> None:
    _postgres_only(database_url)
    shop = floor(api)
    order = shipped_order(shop, [(shop.skus[0], 2)])
    order_key = parse_order_id(order["id"])
    assert order_key is not None
    request = CreateReturn("", (ReturnLineRequest(order["lines"][0]["id"], 1, "broken"),))

    async def create_one(db: Database) -> Any:
        cmd = handlers.CreateReturnFor(order_key, request)
        return await handlers.create_return(cmd, STAFF, SqlUnitOfWork(db), {}, datetime.now(UTC))

    results = asyncio.run(_race(database_url, create_one, 6))
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert (len(won), len(lost)) == (2, 4), results
    assert {e.errors[0].code for e in lost} == {ErrorCode.INVALID}
    seen = order_returns(api, order)
    assert seen["lines"][0]["quantityReturned"] == 2
    assert len(seen["returns"]) == 2
