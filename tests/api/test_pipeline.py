"""The direct path for cached, compiled documents (server/pipeline.py) answers exactly as
strawberry's Schema.execute with the extensions does: the same status, headers, body, log
line and metrics, for answers, field errors, masked faults, refusals, the cost check and
budget, and the response cache.

Two apps on one database, one with the direct path and one without, get the same
requests; each document is sent twice, so the second goes direct (the first parses and
validates it into the document cache). Each app has its own token and client address, so
budgets and request rates are counted apart.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from starlette.testclient import TestClient

import resolvers.tokens
from domain.tokens.model import SCOPES
from server.app import create_app
from server.pipeline import DirectOperations
from server.settings import Settings
from tests import factories
from tests.conftest import Api

RESPONSE_JSON = "application/graphql-response+json"
LOGGED = ("operation", "operation_type", "outcome", "error_codes")
_HOSTS = itertools.count(1)


@dataclass
class Side:
    client: TestClient
    secret: str
    direct: DirectOperations | None

    def send(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        method: str = "POST",
        operation: str | None = None,
        secret: str | None = "",
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        token = self.secret if secret == "" else secret
        headers = {"Accept": RESPONSE_JSON}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation is not None:
            payload["operationName"] = operation
        if method == "GET":
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
            response = self.client.get("/graphql", params=params, headers=headers)
        else:
            response = self.client.post("/graphql", json=payload, headers=headers)
        kept = {
            name: "(seconds)" if name == "retry-after" else response.headers[name]
            for name in ("content-type", "retry-after", "allow", "www-authenticate")
            if name in response.headers
        }
        return response.status_code, _normalized(kept), _normalized(response.json())


# What differs by request or by moment: request ids, and the budget left and the wait
# for more (it refills with time between the two apps' requests).
_MOMENTARY = frozenset({"requestId", "currentlyAvailable", "retryAfter"})


def _normalized(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: _normalized(value) for key, value in body.items() if key not in _MOMENTARY}
    if isinstance(body, list):
        return [_normalized(item) for item in body]
    if isinstance(body, str) and "remain and" in body:
        return re.sub(r"\d+ of|retry in \d+", "#", body)
    return body


def _side(stack: ExitStack, settings: Settings, api: Api, direct: bool, **limits: Any) -> Side:
    app = create_app(
        replace(
            settings,
            compiled=True,
            direct=direct,
            max_query_cost=20_000,
            response_cache_ttl=limits.pop("ttl", 0.0),
            # No periodic writers of their own (the relay's poll, the hold sweep): on SQLite
            # every app's writes queue for the one database file the suite shares.
            bus_poll_interval=3600,
            hold_sweep_seconds=0,
            limits=replace(settings.limits, token_requests_per_second=0, **limits),
        )
    )
    client = TestClient(app, client=(f"10.1.{os.getpid() % 250}.{next(_HOSTS)}", 50000))
    stack.enter_context(client)
    secret = factories.token(api, "admin", list(SCOPES))
    return Side(client, secret, app.state.direct)


@contextmanager
def limited_pair(settings: Settings, api: Api, **limits: Any) -> Iterator[tuple[Side, Side]]:
    """An app with the direct path and one without, otherwise alike; both closed after."""
    with ExitStack() as stack:
        yield (
            _side(stack, settings, api, True, **dict(limits)),
            _side(stack, settings, api, False, **dict(limits)),
        )


@pytest.fixture(scope="module")
def pair(settings: Settings, api: Api) -> Iterator[tuple[Side, Side]]:
    budget = (("admin", 10**6), ("partner", 10**6))  # every answer reports its cost
    with limited_pair(settings, api, cost_budgets=budget) as sides:
        yield sides


def both(
    pair: tuple[Side, Side],
    caplog: pytest.LogCaptureFixture,
    *args: Any,
    repeatable: bool = True,
    **kwargs: Any,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Sends the request twice to each app; both answers, and both log lines of the
    operation, must be the same on either path. Returns the answer."""
    direct, plain = pair
    answers, logs = [], []
    for side in (direct, plain):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="orchestra.operations"):
            answers.append([side.send(*args, **kwargs) for _ in range(2)])
        logs.append(
            [
                tuple(getattr(r, name, None) for name in LOGGED)
                for r in caplog.records
                if r.name == "orchestra.operations"
            ]
        )
    assert answers[0] == answers[1]
    assert logs[0] == logs[1]
    if repeatable:  # what the first request got, the second got
        assert answers[0][0] == answers[0][1]
    return answers[0][1]


def served(pair: tuple[Side, Side]) -> int:
    assert pair[0].direct is not None
    assert pair[1].direct is None
    return pair[0].direct.served


def test_answers_and_field_errors_are_the_same(
    pair: tuple[Side, Side], api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    channel = factories.channel(api)
    location = factories.location(api)
    factories.view(api, channel, [location])
    skus = factories.product(api, skus=2, prices={channel: "12.50"})
    before = served(pair)

    status, headers, body = both(pair, caplog, "{ __typename }")
    assert (status, body["data"]) == (200, {"__typename": "Query"})
    assert headers["content-type"].startswith(RESPONSE_JSON)

    listing = """query($c: String!) { products(first: 3) { edges { node { title
        variants { sku price(channel: $c) { amount currency } } } } } }"""
    status, _, body = both(pair, caplog, listing, {"c": channel})
    assert status == 200
    assert body["data"]["products"]["edges"]
    assert body["extensions"]["cost"]["requestedQueryCost"] > 0

    cart = """query($c: String!, $s: [String!]!) { availability(channel: $c, skus: $s) {
        sku available shipAvailable pickupAvailable locations { location { code } } } }"""
    _, _, body = both(pair, caplog, cart, {"c": channel, "s": skus})
    assert [row["sku"] for row in body["data"]["availability"]] == skus

    # An error with a path: the field fails, the rest of the answer stands.
    status, _, body = both(pair, caplog, cart, {"c": "no-such-channel", "s": skus})
    assert status == 200
    assert body["errors"][0]["path"] == ["availability"]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    several = "query A { __typename } query B { viewer { kind } }"
    _, _, body = both(pair, caplog, several, operation="B")
    assert body["data"]["viewer"]["kind"] == "admin"

    _, _, body = both(pair, caplog, cart, {"c": channel, "s": skus}, method="GET")
    assert len(body["data"]["availability"]) == 2

    # A mutation refusing bad input with userErrors (and changing nothing).
    refused = """mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) {
        applied userErrors { field code } } }"""
    as_of = "2026-01-01T00:00:00Z"
    update = {"sku": "NO-SUCH-SKU", "location": location, "onHand": 1, "asOf": as_of}
    _, _, body = both(pair, caplog, refused, {"u": [update]})
    assert body["data"]["inventorySet"]["applied"] == 0, body
    assert body["data"]["inventorySet"]["userErrors"]

    # 8 documents above, each answered direct on its second request and its repeats.
    assert served(pair) - before >= 8


def test_request_errors_and_refusals_are_the_same(
    pair: tuple[Side, Side], api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    cart = 'query($s: [String!]!) { availability(channel: "web", skus: $s) { sku } }'
    status, _, body = both(pair, caplog, cart, {"s": 7})  # not a list of strings
    assert status == 400
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    status, headers, _ = both(
        pair, caplog, 'mutation { apiTokenRevoke(id: "x") { userErrors { code } } }', method="GET"
    )
    assert status == 405
    assert headers["allow"] == "POST"

    narrow = factories.token(api, "partner", ["catalog:read"], channel=factories.channel(api))
    orders = "{ orders(first: 1) { edges { node { number } } } }"
    status, _, body = both(pair, caplog, orders, secret=narrow)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    status, headers, body = both(pair, caplog, orders, secret="not-a-token")
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"

    status, _, body = both(pair, caplog, "{ viewer { name } }", secret=None)
    assert (status, body["data"]) == (200, {"viewer": None})

    # Within the validation limit with one SKU, over the cost limit with 400.
    breakdown = """query($s: [String!]!) { availability(channel: "web", skus: $s) {
        sku locations { location { code name } available distanceKm } } }"""
    status, _, body = both(pair, caplog, breakdown, {"s": [f"S{i}" for i in range(400)]})
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_masked_faults_are_the_same(
    pair: tuple[Side, Side], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Any) -> None:
        raise RuntimeError("secret detail of a defect")

    monkeypatch.setattr(resolvers.tokens, "viewer", broken)
    before = served(pair)
    with caplog.at_level(logging.ERROR, logger="orchestra.errors"):
        status, _, body = both(pair, caplog, "{ __typename viewer { name } }")
    assert status == 200
    assert body["data"] == {"__typename": "Query", "viewer": None}
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "secret detail" not in str(body)
    assert served(pair) > before


def test_response_cache_hits_are_the_same(
    settings: Settings, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    budget = (("admin", 10**6),)  # so that answers report their cost
    with limited_pair(settings, api, cost_budgets=budget, ttl=30.0) as pair:
        listing = "{ products(first: 5) { edges { node { title } } } }"
        for _ in range(3):  # a miss, then answers from the cache, which cost nothing
            _, _, body = both(pair, caplog, listing, repeatable=False)
        assert body["extensions"]["cost"]["actualQueryCost"] == 0
        assert served(pair) > 0


def test_an_exhausted_budget_is_refused_the_same(
    settings: Settings, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # 1,000 units a minute (16.7 restored a second) and 400 a request: two requests pass,
    # and the third would need 12 s of refill, so timing cannot move the boundary.
    with limited_pair(settings, api, cost_budgets=(("admin", 1_000),)) as pair:
        counted = "{ inventoryPositions(first: 1) { totalCount } }"
        status, _, body = both(pair, caplog, counted, repeatable=False)
        assert status == 200
        assert body["extensions"]["cost"]["requestedQueryCost"] == 400
        status, headers, body = both(pair, caplog, counted)
        assert status == 429
        assert headers["retry-after"] == "(seconds)"
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert served(pair) > 0
