"""Limits before any GraphQL work: body size (413), request rate (429 RATE_LIMITED) and the
per-minute cost budget (429 THROTTLED), each with the numbers a client needs to back off."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.limit_settings import MIB
from server.settings import Settings
from tests.conftest import Api

VIEWER = {"query": "{ viewer { name } }"}


def fresh_token(api: Api) -> str:
    """A new admin token: its cost bucket is new, in this process and in Redis."""
    created = api(
        'mutation { apiTokenCreate(input: {name: "limits", kind: "admin", '
        'scopes: ["inventory:read"]}) { secret } }'
    )
    return str(created["apiTokenCreate"]["secret"])


def app_with(settings: Settings, **limits: Any) -> TestClient:
    """An app with other limits, seen from an IP of its own: with Redis, request buckets
    outlive the app that filled them."""
    app = create_app(replace(settings, limits=replace(settings.limits, **limits)))
    return TestClient(app, client=(f"10.0.{os.getpid() % 250}.{next(_HOSTS)}", 50000))


_HOSTS = itertools.count(1)


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    with app_with(
        settings,
        anonymous_requests_per_second=1,
        token_requests_per_second=2,
        cost_budgets=(("admin", 600), ("anonymous", 0)),
    ) as client:
        yield client


def test_a_body_over_one_megabyte_is_refused_unread(client: TestClient) -> None:
    document = "{ viewer { name } }" + " " * (MIB + 256 * 1024)  # 1.25 MB
    response = client.post("/graphql", json={"query": document})
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert error["extensions"]["limit"] == MIB
    assert error["extensions"]["requestId"]


def test_a_streamed_body_is_cut_at_the_limit(client: TestClient) -> None:
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        yield b'{"query": "{ viewer { name } }", "x": "'
        for _ in range(20):  # 1.3 MB without a Content-Length
            yield chunk
        yield b'"}'

    response = client.post("/graphql", content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


def multipart(size: int) -> dict[str, Any]:
    operations = {"query": "mutation($f: Upload!) { inventoryUpload(file: $f) { applied } }"}
    return {
        "data": {
            "operations": json.dumps({**operations, "variables": {"f": None}}),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        "files": {"0": ("counts.csv", b"sku,location,on_hand,as_of\n" + b"#" * size, "text/csv")},
    }


def test_uploads_with_a_token_have_their_own_larger_limit(
    client: TestClient, admin_secret: str
) -> None:
    auth = {"Authorization": f"Bearer {admin_secret}"}
    response = client.post("/graphql", headers=auth, **multipart(2 * MIB))
    assert response.status_code == 200, response.text
    anonymous = client.post("/graphql", **multipart(2 * MIB))
    assert anonymous.status_code == 413  # no token, no big upload


def test_anonymous_clients_are_rate_limited_per_ip(strict: TestClient) -> None:
    statuses = [strict.post("/graphql", json=VIEWER).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200]  # a bucket holds two seconds' worth
    assert 429 in statuses[2:]
    refused = strict.post("/graphql", json=VIEWER)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(refused.headers["Retry-After"])
    assert strict.get("/healthz").status_code == 200  # probes are never limited


def test_each_token_has_its_own_request_bucket(strict: TestClient, admin_secret: str) -> None:
    for _ in range(3):
        strict.post("/graphql", json=VIEWER)  # the anonymous bucket is empty now
    auth = {"Authorization": f"Bearer {admin_secret}"}
    assert strict.post("/graphql", json=VIEWER, headers=auth).status_code == 200


def test_a_new_fake_token_per_request_does_not_escape_the_ip_limit(
    strict: TestClient, admin_secret: str
) -> None:
    """Each unknown secret would have a bucket of its own; failures are charged to the IP."""
    answers = [
        strict.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer orc_fake{i}"})
        for i in range(5)
    ]
    codes = [a.json()["errors"][0]["extensions"]["code"] for a in answers]
    assert codes[:2] == ["UNAUTHENTICATED", "UNAUTHENTICATED"]  # the IP's bucket holds two
    assert answers[-1].status_code == 429
    refused = strict.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer orc_fake9"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_the_cost_budget_refuses_with_429_and_says_what_is_left(
    strict: TestClient, api: Api
) -> None:
    secret = fresh_token(api)
    limited = Api(strict, secret)
    query = "{ inventoryPositions(first: 1) { totalCount } }"  # 400 units
    first = limited.raw(query)
    status = first["extensions"]["cost"]["throttleStatus"]
    # 600 - 400, plus what refilled (10 a second) while the requests travelled.
    assert (status["maximumAvailable"], status["restoreRate"]) == (600, 10.0)
    assert 200 <= status["currentlyAvailable"] <= 205
    response = strict.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 19 <= retry <= 20  # ~200 missing at 10 per second
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "THROTTLED", "retryAfter": retry}
    assert 200 <= body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] <= 205


def test_answers_from_the_response_cache_are_not_charged(settings: Settings, api: Api) -> None:
    """A storefront serves every shopper with one token: cached catalog answers execute
    nothing, so they must not drain its budget (it would cap a shop at a few hundred
    listings a second). What misses the cache is still charged and throttled."""
    created = api(
        'mutation { apiTokenCreate(input: {name: "cached", kind: "admin", '
        'scopes: ["catalog:read", "inventory:read"]}) { secret } }'
    )
    secret = str(created["apiTokenCreate"]["secret"])
    listing = "{ products(first: 5) { edges { node { title } } } }"
    with app_with(
        replace(settings, response_cache_ttl=60.0),
        token_requests_per_second=0,
        cost_budgets=(("admin", 2_000),),
    ) as client:
        limited = Api(client, secret)
        first = limited.raw(listing)
        cost = first["extensions"]["cost"]["requestedQueryCost"]
        assert 0 < cost <= 2_000
        for _ in range(3 * 2_000 // cost + 3):  # far more than the budget would pay for
            again = limited.raw(listing)
            assert again["data"] == first["data"]
            assert again["extensions"]["cost"]["actualQueryCost"] == 0
        uncached = "{ inventoryPositions(first: 1) { totalCount } }"  # 400 units
        statuses = [
            client.post(
                "/graphql", json={"query": uncached}, headers={"Authorization": f"Bearer {secret}"}
            ).status_code
            for _ in range(8)
        ]
        assert 429 in statuses  # the budget still holds for what executes


def test_kinds_without_a_budget_are_not_throttled(settings: Settings) -> None:
    with app_with(settings, cost_budgets=(("anonymous", 0),)) as client:
        for _ in range(50):
            response = client.post("/graphql", json={"query": "{ apiLimits }"})
            assert response.status_code == 200
    assert response.json() == {"data": {"apiLimits": {"maxPageSize": 100}}}  # no cost report


REDIS = os.environ.get("ORCHESTRA_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS, reason="needs ORCHESTRA_TEST_REDIS_URL")
def test_workers_share_cost_budgets_through_redis(settings: Settings, api: Api) -> None:
    budget = (("admin", 1_000),)
    with (
        app_with(settings, cost_budgets=budget) as one,
        app_with(settings, cost_budgets=budget) as two,
    ):
        auth = {"Authorization": f"Bearer {fresh_token(api)}"}
        query = {"query": "{ inventoryPositions(first: 1) { totalCount } }"}  # 400 units
        assert one.post("/graphql", json=query, headers=auth).status_code == 200
        assert two.post("/graphql", json=query, headers=auth).status_code == 200
        assert one.post("/graphql", json=query, headers=auth).status_code == 429
        assert two.post("/graphql", json=query, headers=auth).status_code == 429
