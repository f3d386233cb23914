"""Compiled plans answer exactly as graphql-core: generated queries on the demo data.

hypothesis-graphql generates valid queries against the served schema; tests/
differential_queries.py aims them at the demo data and varies variables, directives,
aliases and fragments. Each runs on graphql-core's executor and on its compiled plan
(server/execution/differential.py); data and errors must be identical. A short run here
(ORCHESTRA_DIFFERENTIAL_EXAMPLES, default 100); bench/differential.py runs 10,000+.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url

from domain.tokens.handlers import create_token
from domain.tokens.model import ALLOWED_SCOPES, CreateToken, TokenKind
from persistence.migrate import upgrade
from persistence.uow import SqlUnitOfWork
from resolvers.context import Context
from server.app import Services, create_schema
from server.demo import load_demo
from server.execution import differential
from server.settings import Settings
from tests.conftest import _admin
from tests.differential_queries import DemoNames, demo_names, generated

EXAMPLES = int(os.environ.get("ORCHESTRA_DIFFERENTIAL_EXAMPLES", "100"))

pytestmark = pytest.mark.skipif(
    not Settings().compiled, reason="compiled execution is off (ORCHESTRA_COMPILED=0)"
)


@dataclass
class Demo:
    loop: asyncio.AbstractEventLoop
    services: Services
    schema: Any
    token: Any
    names: DemoNames

    def compare(self, query: str, variables: dict[str, Any]) -> differential.Recorder:
        return self.loop.run_until_complete(self._compare(query, variables))

    async def _compare(self, query: str, variables: dict[str, Any]) -> differential.Recorder:
        recorder = differential.Recorder(lambda context: context.fresh())
        differential.use(recorder)
        try:
            context = Context(
                db=self.services.db,
                reference=self.services.reference,
                bus=self.services.bus,
                token=self.token,
                request_id="differential",
            )
            await self.schema.execute(query, variables, context_value=context)
        finally:
            differential.use(None)
        return recorder


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    """A private database with the demo data (PostgreSQL when the suite runs on it)."""
    base = os.environ.get("ORCHESTRA_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if not base:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
            upgrade(url)
            yield url
            return
        name = f"orchestra_diff_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[Demo]:
    loop = asyncio.new_event_loop()
    settings_ = Settings(database_url=demo_url, response_cache_ttl=0)
    services = Services(settings_)
    try:

        async def prepare() -> tuple[Any, DemoNames]:
            await load_demo(services.db)
            scopes = tuple(sorted(ALLOWED_SCOPES[TokenKind.ADMIN]))
            cmd = CreateToken("differential", "admin", scopes)
            token, _ = await create_token(cmd, SqlUnitOfWork(services.db))
            return token, await demo_names(services.db)

        token, names = loop.run_until_complete(prepare())
        yield Demo(loop, services, create_schema(settings_, services.responses), token, names)
    finally:
        loop.run_until_complete(services.db.dispose())
        loop.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_generated_queries_answer_the_same_on_both_executors(demo: Demo, data: Any) -> None:
    query, variables = data.draw(generated(demo.schema._schema, demo.names), label="query")
    recorder = demo.compare(query, variables)
    assert not recorder.differences, str(recorder.differences[0])
    # Only the order of errors from concurrent fields may depend on timing.
    assert recorder.unstable == recorder.reordered


def test_generated_queries_run_compiled(demo: Demo) -> None:
    """The plans are really used: a representative query compiles and is compared."""
    recorder = demo.compare(
        """query($skus: [String!]!) { products(first: 3) { edges { cursor node { id title
          variants { sku price(channel: "web") { amount currency } } } } }
          availability(channel: "web", skus: $skus) { sku available locations {
            location { code kind } available distanceKm } nextIncoming { expectedAt } }
          node(id: "UHJvZHVjdDox") { __typename ... on Product { handle } } }""",
        {"skus": demo.names.skus[:5]},
    )
    assert recorder.checked == 1
    assert not recorder.differences
    plans = demo.schema.execution_context_class.plans
    assert plans.compiled >= 1
