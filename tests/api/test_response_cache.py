"""The catalog response cache under concurrency: what callers see when requests overlap.

These drive the schema in-process so that several identical requests are really in
flight at once on one event loop, as they are on a busy worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.tokens.model import ApiToken, TokenKind
from resolvers.context import Context
from server.app import Services, create_schema
from server.graphql_http import POST_ONLY
from server.pipeline import direct_operations
from server.settings import Settings
from tests import factories
from tests.conftest import Api, unique

# Fails at once in one field while the other reads the database: every execution of it
# suspends, so retries after a failed one overlap too.
FAILING = """{ products(first: 2, after: "not-a-cursor") { edges { node { title } } }
  product(handle: "no-such-handle") { title } }"""


class App:
    """The schema in-process, with strawberry's extensions or the direct path
    (server/pipeline.py: it serves documents already in the document cache)."""

    def __init__(self, settings: Settings, direct: bool) -> None:
        self.loop = asyncio.new_event_loop()
        compiled = settings.compiled or direct
        self.services = Services(replace(settings, response_cache_ttl=30.0, compiled=compiled))
        services = self.services
        self.schema = create_schema(services.settings, services.responses, services.metrics)
        self.direct = direct_operations(self.schema) if direct else None  # type: ignore[arg-type]
        assert (self.direct is not None) == direct

    async def execute(self, query: str, variables: dict[str, Any], context: Context) -> Any:
        if self.direct is not None:
            found = await self.direct.execute(query, variables, context, None, POST_ONLY, None)
            if found is not None:
                return found
        return await self.schema.execute(query, variables, context_value=context)

    def context(self, token: ApiToken) -> Context:
        services = self.services
        return Context(
            db=services.db,
            reference=services.reference,
            bus=services.bus,
            token=token,
            request_id="cache-test",
        )

    def run(self, requests: list[tuple[str, dict[str, Any], ApiToken]]) -> list[Any]:
        async def go() -> list[Any]:
            return await asyncio.gather(
                *(
                    self.execute(query, variables, self.context(token))
                    for query, variables, token in requests
                )
            )

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        loop = self.loop
        # Dataloader batch tasks may still have a step to run after their answers were used.
        # Bounded: after a failed test a task may wait on something that never comes, and
        # the teardown must report the failure rather than hang the suite.
        pending = asyncio.all_tasks(loop)
        if pending:
            _, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=10))
            for task in stuck:
                task.cancel()
            if stuck:
                loop.run_until_complete(asyncio.wait(stuck, timeout=5))
        loop.run_until_complete(asyncio.wait_for(self.services.db.dispose(), 10))
        loop.close()


@pytest.fixture(params=["extensions", "direct"])
def app(settings: Settings, request: pytest.FixtureRequest) -> Iterator[App]:
    instance = App(settings, request.param == "direct")
    try:
        yield instance
    finally:
        instance.close()


def token(**changes: Any) -> ApiToken:
    base = ApiToken(
        id=1,
        name="t",
        kind=TokenKind.ADMIN,
        scopes=frozenset({"catalog:read", "inventory:read"}),
        channel=None,
        location=None,
        created_at=datetime.now(UTC),
    )
    return replace(base, **changes)


def test_identical_failing_requests_each_get_their_error(app: App) -> None:
    app.run([(FAILING, {}, token())])  # the document is cached: the direct path takes it
    served = app.direct.served if app.direct is not None else 0
    results = app.run([(FAILING, {}, token())] * 3)
    if app.direct is not None:
        assert app.direct.served == served + 3
    for result in results:
        [error] = result.errors
        assert error.message == "Malformed cursor in `after`."
        assert error.extensions["code"] == "INVALID"


def test_answers_are_shared_only_between_tokens_that_see_the_same(app: App, api: Api) -> None:
    [sku] = factories.product(api)
    query = "query($sku: String!) { variant(sku: $sku) { sku } }"
    responses = app.services.responses
    app.run([(query, {"sku": sku}, token())])
    hits = responses.hits
    app.run([(query, {"sku": sku}, token(id=2, name="same grants"))])
    assert responses.hits == hits + 1
    for other in (
        token(scopes=frozenset({"catalog:read"})),
        token(location="LOC-1"),
        token(channel="web"),
        token(kind=TokenKind.PARTNER),
    ):
        app.run([(query, {"sku": sku}, other)])
        assert responses.hits == hits + 1, other


@pytest.mark.single_execution  # it times one execution of the query against a write
def test_an_answer_read_before_a_write_is_not_cached_after_it(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import catalog

    handle = unique("late").lower()
    query = f"""{{ product(handle: "{handle}") {{ title }}
      products(first: 1) {{ edges {{ cursor }} }} }}"""
    reader = token()
    services = app.services
    read = asyncio.Event()
    lookup = catalog.product_by_handle

    async def observed(ctx: Context, wanted: str) -> Any:
        found = await lookup(ctx, wanted)
        read.set()
        return found

    monkeypatch.setattr(catalog, "product_by_handle", observed)

    async def scenario() -> tuple[Any, Any]:
        # The reader reads the product (absent yet), then waits for reference data, which
        # this test holds back until a write through this process has created it.
        services.reference.invalidate()
        lock = services.reference._lock
        await lock.acquire()
        slow = asyncio.ensure_future(app.execute(query, {}, app.context(reader)))
        await read.wait()
        writer = token(scopes=frozenset({"catalog:read", "catalog:write"}))
        variables = {
            "input": {
                "handle": handle,
                "title": "Late",
                "variants": [{"sku": handle, "title": "v"}],
            }
        }
        created = await app.execute(factories.PRODUCT, variables, app.context(writer))
        assert created.errors is None
        assert created.data is not None
        assert created.data["productCreate"]["userErrors"] == []
        lock.release()
        first = await slow
        return first, await app.execute(query, {}, app.context(reader))

    first, after = app.loop.run_until_complete(scenario())
    assert first.errors is None
    assert first.data["product"] is None  # read before the write
    assert after.data["product"] == {"title": "Late"}
