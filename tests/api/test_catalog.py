"""Catalog through HTTP: creating products, reading them back, and rejecting bad input."""

from __future__ import annotations

from tests import factories
from tests.conftest import Api, unique

PRODUCT_BY_HANDLE = """query($handle: String!, $channel: String!) {
  product(handle: $handle) { id handle title description category { code name }
    variants { sku title isKit price(channel: $channel) { amount currency }
      kitComponents { quantity variant { sku } } } } }"""


def test_product_create_then_read_back_with_channel_prices(api: Api) -> None:
    web = factories.channel(api, "EUR")
    app = factories.channel(api, "USD")
    handle = unique("shirt")
    sku = unique("TS").upper()
    created = api(
        factories.PRODUCT,
        {
            "input": {
                "handle": handle,
                "title": "Organic T-shirt",
                "description": "Soft.",
                "variants": [
                    {
                        "sku": sku,
                        "title": "M / Blue",
                        "prices": [
                            {"channel": web, "amount": "19.905"},
                            {"channel": app, "amount": "21"},
                        ],
                        "unitCost": "7.10",
                    }
                ],
            }
        },
    )["productCreate"]
    assert created["userErrors"] == []

    product = api(PRODUCT_BY_HANDLE, {"handle": handle, "channel": web})["product"]
    assert product["title"] == "Organic T-shirt"
    assert product["variants"][0]["price"] == {"amount": "19.90", "currency": "EUR"}
    other = api(PRODUCT_BY_HANDLE, {"handle": handle, "channel": app})["product"]
    assert other["variants"][0]["price"] == {"amount": "21.00", "currency": "USD"}
    unknown = api(PRODUCT_BY_HANDLE, {"handle": handle, "channel": "nope"})["product"]
    assert unknown["variants"][0]["price"] is None


def test_duplicate_sku_is_a_user_error_and_writes_nothing(api: Api) -> None:
    [sku] = factories.product(api)
    handle = unique("dup")
    result = api(
        factories.PRODUCT,
        {"input": {"handle": handle, "title": "Dup", "variants": [{"sku": sku, "title": "x"}]}},
    )["productCreate"]
    assert result["product"] is None
    assert result["userErrors"] == [
        {
            "field": ["input", "variants", "0", "sku"],
            "code": "DUPLICATE",
            "message": f"SKU {sku!r} already exists.",
        }
    ]
    assert api(PRODUCT_BY_HANDLE, {"handle": handle, "channel": "x"})["product"] is None


def test_bad_input_reports_every_problem_and_writes_nothing(api: Api) -> None:
    handle = unique("bad")
    result = api(
        factories.PRODUCT,
        {
            "input": {
                "handle": handle,
                "title": "Bad",
                "category": "no-such-category",
                "variants": [
                    {"sku": "BAD-1", "title": "a", "prices": [{"channel": "nope", "amount": "1"}]},
                    {
                        "sku": "BAD-2",
                        "title": "b",
                        "kitComponents": [{"sku": "MISSING", "quantity": 1}],
                    },
                ],
            }
        },
    )["productCreate"]
    codes = {(tuple(e["field"]), e["code"]) for e in result["userErrors"]}
    assert codes == {
        (("input", "category"), "NOT_FOUND"),
        (("input", "variants", "0", "prices", "0", "channel"), "NOT_FOUND"),
        (("input", "variants", "1", "kitComponents", "0", "sku"), "NOT_FOUND"),
    }
    assert api(PRODUCT_BY_HANDLE, {"handle": handle, "channel": "x"})["product"] is None
    assert api('{ variant(sku: "BAD-1") { sku } }')["variant"] is None


def test_negative_price_and_malformed_handle_are_invalid(api: Api) -> None:
    result = api(
        factories.PRODUCT,
        {
            "input": {
                "handle": "Not A Handle",
                "title": "x",
                "variants": [
                    {
                        "sku": unique("N"),
                        "title": "x",
                        "prices": [{"channel": "web", "amount": "-1"}],
                    }
                ],
            }
        },
    )["productCreate"]
    fields = sorted((tuple(e["field"]), e["code"]) for e in result["userErrors"])
    assert fields == [
        (("input", "handle"), "INVALID"),
        (("input", "variants", "0", "prices", "0", "amount"), "INVALID"),
    ]


def test_kit_lists_its_components(api: Api) -> None:
    parts = factories.product(api, skus=2)
    [kit] = factories.product(api, kit=[(parts[0], 2), (parts[1], 1)])
    variant = api(
        "query($sku: String!) { variant(sku: $sku) { isKit kitComponents { quantity variant { sku } } } }",
        {"sku": kit},
    )["variant"]
    assert variant["isKit"] is True
    assert variant["kitComponents"] == [
        {"quantity": 2, "variant": {"sku": parts[0]}},
        {"quantity": 1, "variant": {"sku": parts[1]}},
    ]


def test_products_paginate_with_cursors_and_total_count(api: Api) -> None:
    channel = factories.channel(api)
    skus = [factories.product(api, prices={channel: "5"})[0] for _ in range(5)]
    query = """query($channel: String, $after: String) {
      products(channel: $channel, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { variants { sku } } } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api(query, {"channel": channel, "after": after})["products"]
        assert page["totalCount"] == 5
        seen += [e["node"]["variants"][0]["sku"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == skus
    assert pages == 3


def test_products_filter_by_search_and_skus(api: Api) -> None:
    skus = factories.product(api, skus=2)
    found = api(
        "query($skus: [String!]) { products(filter: {skus: $skus}) { totalCount edges { node { variants { sku } } } } }",
        {"skus": [skus[1]]},
    )["products"]
    assert found["totalCount"] == 1
    assert [v["sku"] for v in found["edges"][0]["node"]["variants"]] == skus


def test_node_resolves_global_ids_and_rejects_malformed(api: Api) -> None:
    [sku] = factories.product(api)
    variant_id = api("query($sku: String!) { variant(sku: $sku) { id } }", {"sku": sku})["variant"][
        "id"
    ]
    node = api(
        "query($id: ID!) { node(id: $id) { id ... on Variant { sku } } }", {"id": variant_id}
    )
    assert node["node"] == {"id": variant_id, "sku": sku}
    assert api('{ node(id: "not-a-real-id") { id } }')["node"] is None


def test_page_size_is_capped_at_100(api: Api) -> None:
    limits = api("{ apiLimits }")["apiLimits"]
    assert limits["maxPageSize"] == 100


def test_location_keeps_its_address_and_capabilities(api: Api) -> None:
    code = factories.location(
        api,
        kind="STORE",
        canPickup=True,
        dailyCapacity=40,
        address={
            "line1": "1 Main St",
            "city": "Boston",
            "postalCode": "02108",
            "country": "US",
            "geo": {"latitude": 42.36, "longitude": -71.06},
        },
    )
    page = api(
        """{ locations(first: 100) { edges { node { code kind canShip canPickup dailyCapacity
             openFulfillments geo { latitude } address { line1 city postalCode country } } } } }"""
    )["locations"]["edges"]
    [node] = [e["node"] for e in page if e["node"]["code"] == code]
    assert node == {
        "code": code,
        "kind": "STORE",
        "canShip": True,
        "canPickup": True,
        "dailyCapacity": 40,
        "openFulfillments": 0,
        "geo": {"latitude": 40.7128},
        "address": {"line1": "1 Main St", "city": "Boston", "postalCode": "02108", "country": "US"},
    }


def test_location_rejects_bad_coordinates_and_duplicate_codes(api: Api) -> None:
    code = factories.location(api)
    result = api(
        factories.LOCATION,
        {
            "input": {
                "code": code,
                "name": "x",
                "kind": "WAREHOUSE",
                "canShip": True,
                "canPickup": False,
                "geo": {"latitude": 91, "longitude": 0},
            }
        },
    )["locationCreate"]
    assert result["location"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["input", "geo", "latitude"], "INVALID")
    ]
    duplicate = api(
        factories.LOCATION,
        {
            "input": {
                "code": code,
                "name": "x",
                "kind": "STORE",
                "canShip": False,
                "canPickup": True,
            }
        },
    )["locationCreate"]
    assert [(e["field"], e["code"]) for e in duplicate["userErrors"]] == [
        (["input", "code"], "DUPLICATE")
    ]


def test_products_filter_by_search_and_by_category_with_its_children(api: Api) -> None:
    parent, child = unique("cat"), unique("cat")
    for code, parent_code in ((parent, None), (child, parent)):
        api(
            "mutation($i: CategoryInput!) { categoryCreate(input: $i) { userErrors { code } } }",
            {"i": {"code": code, "name": code, "parent": parent_code}},
        )
    word = unique("Zephyr")
    handles = []
    for category in (parent, child, None):
        handle = unique("p")
        handles.append(handle)
        data = {
            "handle": handle,
            "title": f"{word} jacket",
            "category": category,
            "variants": [{"sku": unique("S"), "title": "x"}],
        }
        assert api(factories.PRODUCT, {"input": data})["productCreate"]["userErrors"] == []
    query = """query($f: ProductFilter) { products(filter: $f, first: 10) {
      totalCount edges { node { handle } } } }"""

    def found(**f: str) -> list[str]:
        return [e["node"]["handle"] for e in api(query, {"f": f})["products"]["edges"]]

    assert found(search=word.lower()) == handles
    assert found(category=parent) == handles[:2]
    assert found(category=child) == handles[1:2]
    assert found(category="no-such-category") == []


def test_duplicate_handle_is_a_user_error(api: Api) -> None:
    handle = unique("h")
    first = {"handle": handle, "title": "A", "variants": [{"sku": unique("S"), "title": "a"}]}
    api(factories.PRODUCT, {"input": first})
    again = {"handle": handle, "title": "B", "variants": [{"sku": unique("S"), "title": "b"}]}
    result = api(factories.PRODUCT, {"input": again})["productCreate"]
    assert result["product"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["input", "handle"], "DUPLICATE")
    ]
    title = api("query($h: String!) { product(handle: $h) { title } }", {"h": handle})
    assert title == {"product": {"title": "A"}}
