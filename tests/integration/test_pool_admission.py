"""Fair, bounded admission to the pool on the real database (persistence/admission.py):
more concurrent work than connections is served in arrival order without a pool
timeout, a full line is refused at once with 503 UNAVAILABLE and Retry-After, and nested
checkouts (a second connection for a holder of one) never deadlock a pool of 1 or 2."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import copy_context
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from domain.errors import DomainError
from domain.orders.cart import CartLineRequest
from domain.orders.commands import CompleteCart, CreateCart, PaymentDetails
from domain.orders.handlers.carts import create_cart
from domain.orders.handlers.place import complete_cart
from domain.payments.builtin_gateway import TestGateway
from persistence.admission import CLIENT, DatabaseBusy
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from server.app import create_app
from server.settings import Settings
from tests.integration.test_no_oversell import ADDRESS, _world

pytestmark = pytest.mark.postgres
PRODUCTS = "query { products(first: 20) { edges { node { title variants { sku } } } } }"


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no pool to queue for (one writer, admission off)")
    return database_url


def _count_connects(db: Database) -> list[int]:
    opened = [0]

    def connected(*_: Any) -> None:
        opened[0] += 1

    event.listen(db.engine.sync_engine, "connect", connected)
    return opened


def test_forty_readers_over_two_connections_are_served_in_arrival_order(
    postgres_url: str,
) -> None:
    async def scenario() -> tuple[list[int], int, int]:
        db = Database(postgres_url, pool_size=2)
        opened = _count_connects(db)
        served: list[int] = []

        async def reader(i: int) -> None:
            async with db.read() as conn:
                served.append(i)
                await conn.execute(text("SELECT pg_sleep(0.005)"))

        try:
            await asyncio.gather(*(reader(i) for i in range(40)))
            assert db.admission is not None
            return served, db.admission.stats.waited, opened[0]
        finally:
            await db.dispose()

    served, waited, opened = asyncio.run(scenario())
    # The first two were admitted at once and opened their connections side by side;
    # every one after them was served in the order it asked.
    assert sorted(served[:2]) == [0, 1]
    assert served[2:] == list(range(2, 40))
    assert waited == 38  # all but the first two queued, and every one of them was served
    assert opened == 2  # and the pool never opened a connection beyond its size


def test_a_shopper_behind_a_bulk_client_waits_for_one_of_its_checkouts_not_all(
    postgres_url: str,
) -> None:
    async def scenario() -> list[str]:
        db = Database(postgres_url, pool_size=1)
        served: list[str] = []

        async def reader(name: str) -> None:
            async with db.read() as conn:
                served.append(name)
                await conn.execute(text("SELECT pg_sleep(0.002)"))

        def as_client(client: str, name: str) -> asyncio.Task[None]:
            context = copy_context()
            context.run(CLIENT.set, client)
            return asyncio.create_task(reader(name), context=context)

        try:
            bulk = [as_client("bulk", f"bulk{i}") for i in range(20)]
            for _ in range(3):  # each takes its first step: one holds the pool, 19 queue
                await asyncio.sleep(0)
            assert db.admission is not None
            assert db.admission.waiting == 19
            await asyncio.gather(as_client("shop", "shop"), *bulk)
            return served
        finally:
            await db.dispose()

    served = asyncio.run(scenario())
    assert served.index("shop") <= 2  # after the bulk checkout holding the pool, and its next


def test_nested_checkouts_under_held_units_of_work_never_deadlock(postgres_url: str) -> None:
    """Every request holds a unit of work and then reads on a second connection, directly
    and from tasks it gathers: with a plain pool of 1 or 2 every holder waits for a second
    connection that only another holder could return (a QueuePool timeout after 30 s)."""

    async def scenario(pool_size: int) -> tuple[list[int], int]:
        # The wait bound is not what is tested: a loaded machine may take long, not forever.
        db = Database(postgres_url, pool_size=pool_size, queue_timeout=600)
        done: list[int] = []

        async def read_one() -> int:
            async with db.read() as conn:
                return int((await conn.execute(text("SELECT 1"))).scalar_one())

        async def request(i: int) -> None:
            async with SqlUnitOfWork(db) as uow:
                await uow.locations.all()
                assert await read_one() == 1
                assert await asyncio.gather(*(read_one() for _ in range(3))) == [1, 1, 1]
                async with db.side() as own:
                    await own.execute(text("SELECT 1"))
            done.append(i)

        try:
            await asyncio.wait_for(asyncio.gather(*(request(i) for i in range(30))), 60)
            assert db.admission is not None
            assert db.admission.in_use == 0
            return done, db.admission.stats.nested
        finally:
            await db.dispose()

    for pool_size in (1, 2):
        done, nested = asyncio.run(scenario(pool_size))
        assert sorted(done) == list(range(30))
        assert nested == 30 * 4


def test_sixty_checkouts_over_one_connection_allocate_exactly_the_stock(
    postgres_url: str,
) -> None:
    """cartComplete holds its unit of work (and row locks) while it takes an order number
    on a connection of its own: with one pooled connection, all complete in turn."""

    async def scenario() -> Counter[str]:
        # 60 checkouts in turn over one connection: on a loaded machine the last waits
        # longer than the default 30 s. The wait bound is not what is tested here.
        db = Database(postgres_url, pool_size=1, queue_timeout=600)
        gateways = {"test": TestGateway()}
        try:
            channel, sku, _, actor = await _world(db)
            now = datetime.now(UTC)
            carts = [
                (
                    await create_cart(
                        CreateCart(
                            channel, (CartLineRequest(sku, 1),), f"p{i}@example.com", ADDRESS
                        ),
                        actor,
                        SqlUnitOfWork(db),
                        now,
                    )
                ).cart.id
                for i in range(60)
            ]

            async def checkout(cart_id: str) -> str:
                cmd = CompleteCart(cart_id, PaymentDetails("test", "tok_ok"), "standard")
                try:
                    await complete_cart(cmd, actor, SqlUnitOfWork(db), gateways, now)
                except DomainError as error:
                    return ",".join(e.code.value for e in error.errors)
                return "ORDER"

            return Counter(
                await asyncio.wait_for(asyncio.gather(*(checkout(c) for c in carts)), 120)
            )
        finally:
            await db.dispose()

    assert asyncio.run(scenario()) == Counter({"ORDER": 50, "INSUFFICIENT_STOCK": 10})


# --- through the application ------------------------------------------------------------


class App:
    """The ASGI application driven in this event loop: requests really run concurrently."""

    def __init__(self, settings: Settings, secret: str) -> None:
        self.app = create_app(settings)
        self.secret = secret
        self._lifespan: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._replies: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()

    @property
    def db(self) -> Database:
        db: Database = self.app.state.services.db
        return db

    async def __aenter__(self) -> App:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self._lifespan = asyncio.create_task(self.app(scope, self._events.get, self._replies.put))
        await self._events.put({"type": "lifespan.startup"})
        assert (await self._replies.get())["type"] == "lifespan.startup.complete"
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._events.put({"type": "lifespan.shutdown"})
        assert self._lifespan is not None
        await self._lifespan

    async def post(self, query: str) -> tuple[int, dict[bytes, bytes], dict[str, Any]]:
        body = json.dumps({"query": query}).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"authorization", f"Bearer {self.secret}".encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        delivered = False
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        return start["status"], headers, json.loads(b"".join(chunks))


def _settings(base: Settings, **changes: Any) -> Settings:
    values = {name: getattr(base, name) for name in base.__dataclass_fields__}
    values.update(response_cache_ttl=0.0, hold_sweep_seconds=0.0, **changes)
    return Settings(**values)


def _run(settings: Settings, secret: str, scenario: Callable[[App], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with App(settings, secret) as app:
            return await scenario(app)

    return asyncio.run(main())


async def _hold_the_pool(app: App) -> tuple[asyncio.Task[None], asyncio.Event]:
    """Take the pool's only connection (from a task of its own, so that the caller's
    requests are new work, not nested under it) until the returned event is set."""
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        while True:
            try:
                async with app.db.read() as conn:
                    await conn.execute(text("SELECT 1"))
                    held.set()
                    await release.wait()
                    return
            except DatabaseBusy:  # a background job had it for a moment
                await asyncio.sleep(0.01)

    task = asyncio.create_task(holder())
    await held.wait()
    return task, release


def test_forty_concurrent_requests_over_a_pool_of_two_all_succeed(
    postgres_url: str, settings: Settings, admin_secret: str
) -> None:
    async def scenario(app: App) -> tuple[list[tuple[int, dict[str, Any]]], int]:
        answers = await asyncio.gather(*(app.post(PRODUCTS) for _ in range(40)))
        assert app.db.admission is not None
        return [(status, body) for status, _, body in answers], app.db.admission.stats.waited

    answers, waited = _run(_settings(settings, db_pool_size=2), admin_secret, scenario)
    assert [status for status, _ in answers] == [200] * 40
    assert [body.get("errors") for _, body in answers] == [None] * 40
    assert waited > 0  # there were more requests than connections, and they queued


def test_a_request_arriving_at_a_full_line_is_refused_at_once(
    postgres_url: str, settings: Settings, admin_secret: str
) -> None:
    async def scenario(app: App) -> tuple[Any, Any]:
        await app.post(PRODUCTS)  # the token is known: refusals below are the pool's
        holder, release = await _hold_the_pool(app)
        refused = await app.post(PRODUCTS)
        release.set()
        await holder
        return refused, await app.post(PRODUCTS)

    refused, after = _run(
        _settings(settings, db_pool_size=1, db_queue_limit=0), admin_secret, scenario
    )
    status, headers, body = refused
    assert status == 503
    assert headers[b"retry-after"] == b"1"
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["extensions"]["retryAfter"] == 1
    assert after[0] == 200
    assert "errors" not in after[2]


def test_a_checkout_that_waits_past_the_timeout_is_refused_unavailable(
    postgres_url: str, settings: Settings, admin_secret: str
) -> None:
    async def scenario(app: App) -> Any:
        await app.post(PRODUCTS)  # the token is known: the wait is the products read's
        holder, release = await _hold_the_pool(app)
        try:
            return await app.post(PRODUCTS)
        finally:
            release.set()
            await holder

    status, _, body = _run(
        _settings(settings, db_pool_size=1, db_queue_timeout=0.05), admin_secret, scenario
    )
    assert status == 200  # refused inside execution: a GraphQL error at its field
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["products"], "UNAVAILABLE")
    ]
