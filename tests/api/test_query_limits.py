"""Introspection for every standard client; depth, size and cost limits that hold (issue 6
§5, issue 7 §1): abuse is refused with QUERY_TOO_COMPLEX before any validation or SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query
from starlette.testclient import TestClient

from server.app import create_app
from server.costs import STATEMENT
from server.limit_settings import DEFAULT_COST_BUDGETS
from server.query_limits import document_cache_of
from server.settings import Settings
from tests.conftest import Api

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# graphql-core's full query, as Python clients (gql, check.py) send it.
GRAPHQL_CORE_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)
# GraphiQL 3.8's: graphql-js 16.15 getIntrospectionQuery({inputValueDeprecation: true,
# schemaDescription: true}), saved with node (nine levels of ofType, as Apollo's tools too).
GRAPHIQL_INTROSPECTION = (FIXTURES / "graphiql_introspection.graphql").read_text()


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    """The default budgets, so answers report their cost in `extensions.cost`."""
    budgets = tuple(DEFAULT_COST_BUDGETS.items())
    limits = replace(settings.limits, cost_budgets=budgets)
    with TestClient(create_app(replace(settings, limits=limits))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient, admin_secret: str) -> Api:
    return Api(client, admin_secret)


def code_of(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("query", [GRAPHQL_CORE_INTROSPECTION, GRAPHIQL_INTROSPECTION])
@pytest.mark.parametrize("anonymous", [True, False])
def test_standard_introspection_queries_pass(api: Api, query: str, anonymous: bool) -> None:
    caller = api.as_token(None) if anonymous else api
    body = caller.raw(query)
    assert "errors" not in body, body["errors"]
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Query", "Mutation", "Product", "SkuAvailability"} <= names
    assert 0 < body["extensions"]["cost"]["requestedQueryCost"] <= 50_000


@pytest.mark.parametrize("anonymous", [True, False])
def test_a_100_level_of_type_chain_is_refused(api: Api, anonymous: bool) -> None:
    chain = "{ __schema { types { " + "ofType { " * 100 + "name" + " }" * 100 + " } } }"
    body = (api.as_token(None) if anonymous else api).raw(chain)
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["message"] == "Introspection depth 103 exceeds the limit of 20."
    assert body["data"] is None


def test_an_alias_flood_inside_schema_is_refused(api: Api) -> None:
    flood = "{ __schema { " + " ".join(f"t{i}: types {{ name }}" for i in range(200)) + " } }"
    body = api.as_token(None).raw(flood)
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["message"] == "The document has 200 aliases; the limit is 30."


@pytest.mark.parametrize("levels", [4, 9])
def test_introspection_nested_through_types_is_refused(api: Api, levels: int) -> None:
    # fields -> type -> fields -> type ... multiplies by the schema's width at each level;
    # graphql-core refuses more than three levels, our cost the wider floods.
    nested = "{ __schema { types { " + "fields { type { " * levels + "name" + " } }" * levels
    body = api.as_token(None).raw(nested + " } } }")
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["data"] is None


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels fields once expanded (878 bytes
    at 21 levels, the issue's example)."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    fragments.append(f"fragment F{levels - 1} on Query {{ viewer {{ name }} }}")
    return "{ ...F0 }\n" + "\n".join(fragments)


@pytest.mark.parametrize("levels", [21, 22])
def test_a_fragment_bomb_is_refused_by_cost(api: Api, levels: int) -> None:
    body = api.as_token(None).raw(fragment_bomb(levels))
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["extensions"]["cost"] == 2 * 2 ** (levels - 1)


def test_too_many_tokens_is_refused_while_parsing(api: Api) -> None:
    query = "{ viewer { " + "name " * 2_000 + "} }"  # 2,004 tokens
    body = api.raw(query)
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert "more than 2000 tokens" in body["errors"][0]["message"]


def test_too_many_fields_is_refused_before_validation(api: Api) -> None:
    # 1,500 copies of one field make graphql-core's overlap rule quadratic (~0.2 s).
    query = "{ viewer { " + "name " * 1_500 + "} }"
    body = api.raw(query)
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["message"] == "The document has 1501 fields; the limit is 1000."


def test_total_count_costs_a_statement_each(api: Api) -> None:
    plain = api.raw("{ inventoryPositions(first: 1) { edges { cursor } } }")
    counted = api.raw("{ inventoryPositions(first: 1) { totalCount edges { cursor } } }")
    cost = counted["extensions"]["cost"]["requestedQueryCost"]
    assert cost - plain["extensions"]["cost"]["requestedQueryCost"] == STATEMENT
    aliases = " ".join(f"c{i}: inventoryPositions(first: 1) {{ totalCount }}" for i in range(30))
    assert api.raw("{" + aliases + "}")["extensions"]["cost"]["requestedQueryCost"] == 30 * (
        2 * STATEMENT
    )


@pytest.fixture
def many_aliases(settings: Settings) -> Iterator[TestClient]:
    # Only the cost limit left to catch what follows.
    limits = replace(settings.limits, max_query_tokens=100_000, max_query_fields=10_000)
    with TestClient(create_app(replace(settings, max_aliases=5_000, limits=limits))) as client:
        yield client


def test_two_thousand_total_counts_exceed_the_cost_limit(
    many_aliases: TestClient, admin_secret: str
) -> None:
    aliases = " ".join(f"c{i}: inventoryPositions(first: 1) {{ totalCount }}" for i in range(2000))
    body = Api(many_aliases, admin_secret).raw("{" + aliases + "}")
    assert code_of(body) == "QUERY_TOO_COMPLEX"
    assert body["errors"][0]["extensions"]["cost"] == 2000 * 2 * STATEMENT


DEEP_PAGE = """query($n: Int) { products(first: $n) { edges { node { variants {
  product { variants { product { variants { sku title } } } } } } } } }"""


def test_page_sizes_from_variables_are_checked_per_request(api: Api) -> None:
    small = api.raw(DEEP_PAGE, {"n": 1})
    assert "errors" not in small, small["errors"]
    assert code_of(api.raw(DEEP_PAGE, {"n": 100})) == "QUERY_TOO_COMPLEX"
    small_cost = small["extensions"]["cost"]["requestedQueryCost"]
    assert api.raw(DEEP_PAGE, {"n": 1})["extensions"]["cost"]["requestedQueryCost"] == small_cost


def test_availability_costs_by_the_number_of_skus(api: Api) -> None:
    query = 'query($s: [String!]!) { availability(channel: "none", skus: $s) { sku } }'
    costs = [
        api.raw(query, {"s": [f"S{i}" for i in range(n)]})["extensions"]["cost"][
            "requestedQueryCost"
        ]
        for n in (1, 11)
    ]
    assert costs[1] - costs[0] == 10  # one `sku` per SKU asked


def test_refused_documents_are_not_cached(api: Api, client: TestClient) -> None:
    cache = document_cache_of(client.app.routes[0].endpoint.schema)  # type: ignore[attr-defined]
    before = len(cache)
    for levels in range(16, 26):
        assert code_of(api.raw(fragment_bomb(levels))) == "QUERY_TOO_COMPLEX"
    assert api.raw("{ viewer { nope } }")["errors"]  # invalid: refused by validation
    assert len(cache) == before


@pytest.fixture
def small_cache(settings: Settings) -> Iterator[TestClient]:
    limits = replace(settings.limits, document_cache_bytes=200_000)
    with TestClient(create_app(replace(settings, limits=limits))) as client:
        yield client


def test_the_document_cache_is_bounded_in_bytes(small_cache: TestClient, admin_secret: str) -> None:
    api = Api(small_cache, admin_secret)
    cache = document_cache_of(small_cache.app.routes[0].endpoint.schema)  # type: ignore[attr-defined]
    for i in range(300):
        api(f"{{ viewer {{ name }} a{i}: apiLimits }}")
    assert 0 < cache.bytes <= 200_000
    assert len(cache) < 300
    hits = cache.hits
    api("{ viewer { name } a299: apiLimits }")  # the most recent is still there
    assert cache.hits == hits + 1
