"""Every bad input is a client error (issue 7 §2): text, numbers, dates and races come back
as userErrors with field paths, or INVALID for text that is not text, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.validation import MAX_INT, MAX_QUANTITY
from tests import factories
from tests.conftest import Api, unique
from tests.state import fingerprint


def post(client: TestClient, secret: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    # json.dumps escapes lone surrogates, which an HTTP client's own encoder may refuse.
    response = client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def product_input(**overrides: Any) -> dict[str, Any]:
    return {
        "handle": unique("h"),
        "title": "A product",
        "variants": [{"sku": unique("S"), "title": "v"}],
        **overrides,
    }


def variant(**overrides: Any) -> dict[str, Any]:
    return {"sku": unique("S"), "title": "v", **overrides}


# (case, mutation, variables, expected userErrors as (field, code)) -- channel "{ch}".
USER_ERRORS: list[tuple[str, str, Callable[[str], dict[str, Any]], list[tuple[list[str], str]]]] = [
    (
        "handle longer than its column",
        factories.PRODUCT,
        lambda ch: {"input": product_input(handle="a" * 201)},
        [(["input", "handle"], "INVALID")],
    ),
    (
        "title longer than its column",
        factories.PRODUCT,
        lambda ch: {"input": product_input(title="t" * 501)},
        [(["input", "title"], "INVALID")],
    ),
    (
        "price NaN",
        factories.PRODUCT,
        lambda ch: {
            "input": product_input(variants=[variant(prices=[{"channel": ch, "amount": "NaN"}])])
        },
        [(["input", "variants", "0", "prices", "0", "amount"], "INVALID")],
    ),
    (
        "unit cost Infinity",
        factories.PRODUCT,
        lambda ch: {"input": product_input(variants=[variant(unitCost="-Infinity")])},
        [(["input", "variants", "0", "unitCost"], "INVALID")],
    ),
    (
        "price beyond NUMERIC(18, 4)",
        factories.PRODUCT,
        lambda ch: {
            "input": product_input(variants=[variant(prices=[{"channel": ch, "amount": "1e14"}])])
        },
        [(["input", "variants", "0", "prices", "0", "amount"], "INVALID")],
    ),
    (
        "price with five decimals",
        factories.PRODUCT,
        lambda ch: {
            "input": product_input(
                variants=[variant(prices=[{"channel": ch, "amount": "1.00001"}])]
            )
        },
        [(["input", "variants", "0", "prices", "0", "amount"], "INVALID")],
    ),
    (
        "kit quantity beyond the maximum",
        factories.PRODUCT,
        lambda ch: {
            "input": product_input(
                variants=[
                    variant(sku="PART-" + ch),
                    variant(kitComponents=[{"sku": "PART-" + ch, "quantity": MAX_INT}]),
                ]
            )
        },
        [(["input", "variants", "1", "kitComponents", "0", "quantity"], "INVALID")],
    ),
    (
        "channel name longer than its column",
        factories.CHANNEL,
        lambda ch: {"input": {"code": unique("c"), "name": "n" * 201, "currency": "EUR"}},
        [(["input", "name"], "INVALID")],
    ),
    (
        "code with a trailing newline",
        factories.CHANNEL,
        lambda ch: {"input": {"code": unique("c") + "\n", "name": "n", "currency": "EUR"}},
        [(["input", "code"], "INVALID")],
    ),
    (
        "location capacity beyond the maximum",
        factories.LOCATION,
        lambda ch: {
            "input": {
                "code": unique("l"),
                "name": "n",
                "kind": "STORE",
                "canShip": True,
                "canPickup": True,
                "dailyCapacity": MAX_QUANTITY + 1,
            }
        },
        [(["input", "dailyCapacity"], "INVALID")],
    ),
    (
        "address line longer than 200",
        factories.LOCATION,
        lambda ch: {
            "input": {
                "code": unique("l"),
                "name": "n",
                "kind": "STORE",
                "canShip": True,
                "canPickup": True,
                "address": {"line1": "x" * 201, "city": "c", "postalCode": "1", "country": "US"},
            }
        },
        [(["input", "address", "line1"], "INVALID")],
    ),
    (
        "token name longer than its column",
        factories.TOKEN,
        lambda ch: {"input": {"name": "n" * 201, "kind": "admin", "scopes": ["catalog:read"]}},
        [(["input", "name"], "INVALID")],
    ),
    (
        "view buffer beyond the maximum",
        factories.VIEW,
        lambda ch: {"channel": ch, "input": {"code": ch, "locations": [], "safetyBuffer": MAX_INT}},
        [(["input", "safetyBuffer"], "INVALID")],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "variables", "expected"),
    [case[1:] for case in USER_ERRORS],
    ids=[case[0] for case in USER_ERRORS],
)
def test_bad_values_are_user_errors_and_change_nothing(
    api: Api,
    client: TestClient,
    admin_secret: str,
    mutation: str,
    variables: Callable[[str], dict[str, Any]],
    expected: list[tuple[list[str], str]],
) -> None:
    channel = factories.channel(api)
    before = fingerprint(client)
    body = post(client, admin_secret, mutation, variables(channel))
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == expected
    assert fingerprint(client) == before


NOT_TEXT = ["nul\x00inside", "lone \ud800 surrogate", "\udfff"]


@pytest.mark.parametrize("value", NOT_TEXT)
def test_text_that_is_not_text_is_invalid_in_mutations(
    client: TestClient, admin_secret: str, value: str
) -> None:
    before = fingerprint(client)
    body = post(client, admin_secret, factories.PRODUCT, {"input": product_input(title=value)})
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID", "variable": ["input", "title"]}
    assert fingerprint(client) == before


@pytest.mark.parametrize("value", NOT_TEXT)
@pytest.mark.parametrize(
    "query",
    [
        "query($v: String!) { variant(sku: $v) { sku } }",
        "query($v: String!) { product(handle: $v) { id } }",
        "query($v: String!) { products(filter: {search: $v}) { edges { cursor } } }",
        "query($v: String!) { products(filter: {category: $v}) { edges { cursor } } }",
        "query($v: String!) { inventoryPositions(sku: $v) { edges { cursor } } }",
        'query($v: String!) { availability(channel: "web", skus: [$v]) { sku } }',
        "query($v: ID!) { node(id: $v) { id } }",
    ],
)
def test_text_that_is_not_text_is_invalid_in_queries(
    client: TestClient, admin_secret: str, query: str, value: str
) -> None:
    body = post(client, admin_secret, query, {"v": value})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


def test_a_nul_escape_in_a_literal_is_invalid(client: TestClient, admin_secret: str) -> None:
    body = post(client, admin_secret, '{ variant(sku: "a\\u0000b") { sku } }', {})
    assert body["errors"][0]["extensions"] == {"code": "INVALID"}


def test_an_as_of_that_overflows_with_its_offset_is_invalid(api: Api, client: TestClient) -> None:
    [sku] = factories.product(api)
    location = factories.location(api)
    before = fingerprint(client)
    result = api(
        "mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) { applied userErrors { field code } } }",
        {
            "u": [
                {"sku": sku, "location": location, "onHand": 1, "asOf": "0001-01-01T00:00:00+14:00"}
            ]
        },
    )
    assert result["inventorySet"] == {
        "applied": 0,
        "userErrors": [{"field": ["updates", "0", "asOf"], "code": "INVALID"}],
    }
    assert fingerprint(client) == before


ADJUST = """mutation($u: [InventoryAdjustInput!]!) { inventoryAdjust(updates: $u) {
  applied clamped userErrors { field code } } }"""


def test_on_hand_never_passes_the_maximum(api: Api) -> None:
    [sku] = factories.product(api)
    location = factories.location(api)
    move = {"sku": sku, "location": location, "reason": "receipt"}
    over = api(ADJUST, {"u": [{**move, "delta": MAX_QUANTITY + 1, "eventId": unique("e")}]})
    assert over["inventoryAdjust"]["userErrors"] == [
        {"field": ["updates", "0", "delta"], "code": "INVALID"}
    ]
    for _ in range(2):
        api(ADJUST, {"u": [{**move, "delta": MAX_QUANTITY, "eventId": unique("e")}]})
    positions = api(
        "query($s: String) { inventoryPositions(sku: $s) { edges { node { onHand } } } }",
        {"s": sku},
    )
    assert positions["inventoryPositions"]["edges"] == [{"node": {"onHand": MAX_QUANTITY}}]


def test_channel_totals_past_int_are_capped_not_null(api: Api) -> None:
    """25 locations of 100,000,000 each: 2.5e9, more than an Int holds."""
    channel = factories.channel(api)
    [sku] = factories.product(api, prices={channel: "1"})
    locations = [factories.location(api) for _ in range(25)]
    factories.view(api, channel, locations)
    updates = [
        {"sku": sku, "location": code, "onHand": MAX_QUANTITY, "asOf": "2024-01-01T00:00:00Z"}
        for code in locations
    ]
    result = api(
        "mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) { applied } }",
        {"u": updates},
    )
    assert result["inventorySet"]["applied"] == 25
    found = api(
        "query($c: String!, $s: [String!]!) { availability(channel: $c, skus: $s) { available shipAvailable } }",
        {"c": channel, "s": [sku]},
    )
    assert found["availability"] == [{"available": MAX_INT, "shipAvailable": MAX_INT}]
    listed = api(
        "query($c: String!) { products(channel: $c) { edges { node { variants { availability(channel: $c) { available } } } } } }",
        {"c": channel},
    )
    [edge] = listed["products"]["edges"]
    assert edge["node"]["variants"] == [{"availability": {"available": MAX_INT}}]


def test_concurrent_creates_of_one_handle_give_one_product_and_duplicates(
    client: TestClient, admin_secret: str
) -> None:
    handle = unique("race")

    def create(_: int) -> dict[str, Any]:
        return post(
            client, admin_secret, factories.PRODUCT, {"input": product_input(handle=handle)}
        )

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(create, range(8)))
    assert all("errors" not in b for b in bodies), bodies
    created = [b for b in bodies if b["data"]["productCreate"]["product"] is not None]
    assert len(created) == 1
    for body in bodies:
        if body not in created:
            errors = body["data"]["productCreate"]["userErrors"]
            assert [(e["field"], e["code"]) for e in errors] == [(["input", "handle"], "DUPLICATE")]


SEARCH = """query($s: String!) { products(filter: {search: $s}, first: 100) {
  totalCount edges { node { title } } } }"""


@pytest.mark.parametrize(
    ("titles", "search", "found"),
    [
        (["{w} 100% linen", "{w} 1000 linen"], "{w} 100%", ["{w} 100% linen"]),
        (["{w} a_b", "{w} axb"], "{w} a_b", ["{w} a_b"]),
        (["{w} back\\slash", "{w} backslash"], "{w} back\\", ["{w} back\\slash"]),
        (["{w} PLAIN", "{w} other"], "{w} plain", ["{w} PLAIN"]),
    ],
)
def test_search_matches_percent_underscore_and_backslash_literally(
    api: Api, titles: list[str], search: str, found: list[str]
) -> None:
    word = unique("Q")
    for title in titles:
        data = product_input(title=title.format(w=word))
        assert api(factories.PRODUCT, {"input": data})["productCreate"]["userErrors"] == []
    result = api(SEARCH, {"s": search.format(w=word)})["products"]
    assert [e["node"]["title"] for e in result["edges"]] == [t.format(w=word) for t in found]
    assert result["totalCount"] == len(found)


def test_variables_nested_deeper_than_any_input_are_invalid(
    client: TestClient, admin_secret: str
) -> None:
    nested: Any = "SKU"
    for _ in range(500):
        nested = [nested]
    query = "query($v: [String!]) { products(filter: {skus: $v}) { totalCount } }"
    body = post(client, admin_secret, query, {"v": nested})
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert "nests deeper than 32 levels" in body["errors"][0]["message"]
