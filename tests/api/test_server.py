"""Transport and protection: GraphiQL, GET, health, limits, caches, masked errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from strawberry.extensions.validation_cache import _get_validate_cache

from server.app import CACHE_SIZE
from tests.conftest import Api


def test_graphiql_is_served_to_browsers(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_queries_work_over_get(client: TestClient, admin_secret: str) -> None:
    response = client.get(
        "/graphql",
        params={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {admin_secret}", "Accept": "application/json"},
    )
    assert response.json() == {"data": {"viewer": {"kind": "admin"}}}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_too_deep_query_is_refused(api: Api) -> None:
    deep = "{ products { edges { node { variants { product { variants { product { variants { product { variants { product { variants { sku } } } } } } } } } } } } }"
    body = api.raw(deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "depth" in body["errors"][0]["message"]


def test_too_costly_query_is_refused(api: Api) -> None:
    costly = "{ products(first: 100) { edges { node { variants { product { variants { product { variants { sku title } } } } } } } } }"
    body = api.raw(costly)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "cost" in body["errors"][0]["message"]


def test_validation_cache_hits_with_the_limit_rules_in_place(api: Api) -> None:
    cache: Any = _get_validate_cache(CACHE_SIZE)
    query = "{ viewer { name } apiLimits }"
    api(query)
    hits = cache.cache_info().hits
    for _ in range(5):
        api(query)
    assert cache.cache_info().hits == hits + 5


def test_unexpected_errors_are_masked_and_carry_a_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import catalog

    async def broken(*_: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(catalog, "channels", broken)
    body = api.raw("{ channels { code } }")
    [error] = body["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"]
    assert "hunter2" not in str(body)
