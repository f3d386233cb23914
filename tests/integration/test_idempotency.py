"""Scoped idempotency keys on the real database: replay, conflict, rollback, and on
PostgreSQL two concurrent claims of one key never both run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from domain.codec import request_hash
from domain.idempotency import Claimed, Conflict, IdempotencyKey, Replay
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from tests.conftest import unique

T = TypeVar("T")


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency is real only on PostgreSQL (SQLite has one writer)")
    return database_url


def with_db(url: str, scenario: Callable[[Database], Awaitable[T]]) -> T:
    async def go() -> T:
        db = Database(url)
        try:
            return await scenario(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


async def place(
    db: Database, key: IdempotencyKey, request: dict[str, Any], ran: list[str], work: float = 0
) -> str:
    """A use case guarded by `key`: says whether it ran, replayed or conflicted."""
    async with SqlUnitOfWork(db) as uow:
        match await uow.idempotency.claim(key, request_hash(request)):
            case Replay(result_ref=ref):
                return f"replay {ref}"
            case Conflict():
                return "conflict"
            case Claimed():
                pass
        await asyncio.sleep(work)  # the work, long enough for the others to arrive
        ref = unique("order")
        ran.append(ref)
        await uow.idempotency.complete(key, ref)
        await uow.commit()
    return f"ran {ref}"


def test_a_key_replays_its_first_result_and_refuses_another_request(database_url: str) -> None:
    key = IdempotencyKey("token:1", "orderPlace", unique("k"))
    ran: list[str] = []

    async def scenario(db: Database) -> list[str]:
        return [
            await place(db, key, {"sku": "TEE", "qty": 1}, ran),
            await place(db, key, {"qty": 1, "sku": "TEE"}, ran),
            await place(db, key, {"sku": "TEE", "qty": 2}, ran),
            await place(db, IdempotencyKey("token:2", key.operation, key.key), {}, ran),
            await place(db, IdempotencyKey(key.scope, "cartComplete", key.key), {}, ran),
        ]

    outcomes = with_db(database_url, scenario)
    assert outcomes == [
        f"ran {ran[0]}",
        f"replay {ran[0]}",
        "conflict",
        f"ran {ran[1]}",  # another caller's key of the same name
        f"ran {ran[2]}",  # the same caller's key for another operation
    ]


def test_a_failed_attempt_leaves_no_claim_so_the_retry_runs(database_url: str) -> None:
    key = IdempotencyKey("system", "orderPlace", unique("k"))
    ran: list[str] = []

    async def declined(db: Database) -> None:
        async with SqlUnitOfWork(db) as uow:
            assert await uow.idempotency.claim(key, request_hash({})) == Claimed()
            raise ValueError("declined")

    async def scenario(db: Database) -> str:
        with pytest.raises(ValueError, match="declined"):
            await declined(db)
        return await place(db, key, {}, ran)

    assert with_db(database_url, scenario) == f"ran {ran[0]}"


def test_a_claim_without_its_result_cannot_commit(database_url: str) -> None:
    key = IdempotencyKey("system", "orderPlace", unique("k"))
    ran: list[str] = []

    async def forgetful(db: Database) -> None:
        async with SqlUnitOfWork(db) as uow:
            await uow.idempotency.claim(key, request_hash({}))
            await uow.commit()

    async def scenario(db: Database) -> str:
        with pytest.raises(RuntimeError, match="not completed"):
            await forgetful(db)
        return await place(db, key, {}, ran)

    assert with_db(database_url, scenario) == f"ran {ran[0]}"


def test_a_concurrent_claim_waits_for_the_first_then_replays_it(pg_url: str) -> None:
    key = IdempotencyKey("token:1", "orderPlace", unique("k"))
    digest = request_hash({"sku": "TEE"})

    async def scenario(db: Database) -> tuple[bool, object]:
        async with SqlUnitOfWork(db) as first:
            assert await first.idempotency.claim(key, digest) == Claimed()

            async def second() -> object:
                async with SqlUnitOfWork(db) as uow:
                    return await uow.idempotency.claim(key, digest)

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            blocked = not waiting.done()
            await first.idempotency.complete(key, "order-1")
            await first.commit()
        return blocked, await waiting

    assert with_db(pg_url, scenario) == (True, Replay("order-1"))


def test_a_concurrent_claim_takes_the_key_when_the_first_rolls_back(pg_url: str) -> None:
    key = IdempotencyKey("token:1", "orderPlace", unique("k"))
    digest = request_hash({"sku": "TEE"})

    async def scenario(db: Database) -> tuple[bool, object]:
        async with SqlUnitOfWork(db) as first:
            await first.idempotency.claim(key, digest)

            async def second() -> object:
                async with SqlUnitOfWork(db) as uow:
                    claim = await uow.idempotency.claim(key, digest)
                    await uow.idempotency.complete(key, "order-2")
                    await uow.commit()
                    return claim

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            blocked = not waiting.done()
            # Leaving without commit: the payment was declined, say.
        return blocked, await waiting

    assert with_db(pg_url, scenario) == (True, Claimed())


def test_many_concurrent_requests_with_one_key_run_once(pg_url: str) -> None:
    key = IdempotencyKey("token:1", "cartComplete", unique("k"))
    ran: list[str] = []
    same, other = {"cart": 1}, {"cart": 2}

    async def scenario(db: Database) -> list[str]:
        requests = [same, other] * 5
        return list(
            await asyncio.gather(*(place(db, key, request, ran, work=0.1) for request in requests))
        )

    outcomes = with_db(pg_url, scenario)
    assert len(ran) == 1
    winner = outcomes.index(f"ran {ran[0]}")
    expected = ["replay " + ran[0] if i % 2 == winner % 2 else "conflict" for i in range(10)]
    expected[winner] = f"ran {ran[0]}"
    assert outcomes == expected
