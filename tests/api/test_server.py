"""Transport and protection: GraphiQL, GET, health, limits, caches, masked errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from server.query_limits import document_cache_of
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
    assert response.json()["data"] == {"viewer": {"kind": "admin"}}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["checks"]["database"] == "ok"


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


def test_validation_cache_hits_with_the_limit_rules_in_place(api: Api, client: TestClient) -> None:
    cache = document_cache_of(client.app.routes[0].endpoint.schema)  # type: ignore[attr-defined]
    query = "{ viewer { name } apiLimits }"
    api(query)
    hits = cache.hits
    for _ in range(5):
        api(query)
    assert cache.hits == hits + 5


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


def test_catalog_answers_are_cached_briefly_and_dropped_on_catalog_writes(
    api: Api, client: TestClient
) -> None:
    from tests import factories

    responses = client.app.state.services.responses  # type: ignore[attr-defined]
    [sku] = factories.product(api)
    query = "query($sku: String!) { variant(sku: $sku) { sku title } }"
    api(query, {"sku": sku})
    hits = responses.hits
    assert api(query, {"sku": sku})["variant"]["sku"] == sku
    assert responses.hits == hits + 1
    # A write through this process is visible at once, not after the cache expires.
    missing = f"{sku}-NEW"
    assert api(query, {"sku": missing})["variant"] is None
    factories_input = {
        "handle": f"h-{missing.lower()}",
        "title": "t",
        "variants": [{"sku": missing, "title": "n"}],
    }
    assert api(factories.PRODUCT, {"input": factories_input})["productCreate"]["userErrors"] == []
    assert api(query, {"sku": missing})["variant"] == {"sku": missing, "title": "n"}


def test_inventory_answers_are_never_cached(api: Api, client: TestClient) -> None:
    responses = client.app.state.services.responses  # type: ignore[attr-defined]
    hits = responses.hits
    for _ in range(3):
        api("{ inventoryPositions(first: 1) { totalCount } }")
    assert responses.hits == hits
