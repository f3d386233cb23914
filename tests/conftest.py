"""Test setup: a real database (PostgreSQL in CI, SQLite by default), migrated once per run.

On PostgreSQL each session creates its own database next to ORCHESTRA_TEST_DATABASE_URL
and drops it at the end.

ORCHESTRA_TEST_DATABASE_URL / ORCHESTRA_TEST_REDIS_URL select PostgreSQL and Redis; without
them the suite runs on a fresh SQLite file with the in-process bus. Tests share the
database and keep apart by using unique codes, SKUs and handles.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from persistence.migrate import upgrade
from server.app import create_app
from server.cli import main as cli
from server.limit_settings import LimitSettings
from server.settings import Settings
from tests import sqlite_lock

ROOT = Path(__file__).resolve().parent.parent


def _database_url(tmp: Path) -> str:
    url = os.environ.get("ORCHESTRA_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp / 'test.db'}"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A private database per test session, so concurrent runs never share state."""
    with tempfile.TemporaryDirectory() as tmp:
        url = _database_url(Path(tmp))
        if not url.startswith("postgresql"):
            upgrade(url)
            yield url
            return
        name = f"orchestra_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
        private = make_url(url).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(private)
            yield private
        finally:
            asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=os.environ.get("ORCHESTRA_TEST_REDIS_URL") or None,
        hold_sweep_seconds=0.3,  # expired cart holds come back within a test's patience
        # Pickup expiry is tested through its handler with a clock days ahead; backorders
        # are released on the availability feed, their periodic sweep kept out of the way
        # of tests that count statements.
        pickup_sweep_seconds=0,
        backorder_sweep_seconds=3600,
        # Every anonymous test request comes from one address ("testclient"): per-IP
        # limits would make tests depend on their order. tests/api/test_request_limits.py
        # checks them with apps of their own.
        limits=LimitSettings(anonymous_requests_per_second=0, cost_budgets=()),
    )


def run_cli(*args: str, database_url: str) -> str:
    """Run `orchestra ...` in-process and return what it printed."""
    out = io.StringIO()
    previous = os.environ.get("ORCHESTRA_DATABASE_URL")
    os.environ["ORCHESTRA_DATABASE_URL"] = database_url
    try:
        with contextlib.redirect_stdout(out):
            code = cli(list(args))
    finally:
        if previous is None:
            del os.environ["ORCHESTRA_DATABASE_URL"]
        else:
            os.environ["ORCHESTRA_DATABASE_URL"] = previous
    assert code == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture(scope="session")
def admin_secret(database_url: str) -> str:
    output = run_cli(
        "token",
        "create",
        "--kind",
        "admin",
        "--name",
        "tests",
        "--scopes",
        "all",
        database_url=database_url,
    )
    return output.split()[-1]


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class Api:
    """Posts GraphQL documents as a given token."""

    def __init__(self, client: TestClient, secret: str | None) -> None:
        self.client = client
        self.secret = secret

    def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.raw(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def as_token(self, secret: str | None) -> Api:
        return Api(self.client, secret)


@pytest.fixture(scope="session")
def api(client: TestClient, admin_secret: str) -> Api:
    return Api(client, admin_secret)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def _sqlite_write_lock_released(
    request: pytest.FixtureRequest, database_url: str
) -> Iterator[None]:
    """SQLite pass: each test leaves the shared file's write lock free (tests/sqlite_lock.py)."""
    if not database_url.startswith("sqlite"):
        yield
        return
    sqlite_lock.watch_checkouts()
    yield
    sqlite_lock.assert_write_lock_free(make_url(database_url).database or "", request.node.nodeid)
