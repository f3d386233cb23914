"""Issue 6's faults, each reproduced as a hostile client would and now refused.

Policies are decided by the type that owns each field (fragments and `node` included);
bindings hide what a token may not see, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests import factories
from tests.conftest import Api, unique

VARIANT_BY_NODE = """query($id: ID!) { node(id: $id) { id ... on Variant { sku unitCost } } }"""
VARIANT_FIELDS_BY_FRAGMENT = """query($id: ID!) { node(id: $id) { ...Cost } }
fragment Cost on Variant { sku unitCost }"""


def error_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def priced_product(api: Api, channel: str, cost: str = "4.20") -> str:
    sku = unique("SKU").upper()
    handle = unique("p")
    variant = {
        "sku": sku,
        "title": sku,
        "unitCost": cost,
        "prices": [{"channel": channel, "amount": "10"}],
    }
    result = api(
        factories.PRODUCT, {"input": {"handle": handle, "title": handle, "variants": [variant]}}
    )
    assert result["productCreate"]["userErrors"] == []
    return sku


def test_a_token_without_catalog_read_cannot_read_variants_through_node(api: Api) -> None:
    channel = factories.channel(api)
    sku = priced_product(api, channel)
    variant_id = factories.global_id(api, "Variant", sku)
    orders_only = api.as_token(
        factories.token(api, "storefront", ["orders:write"], channel=channel)
    )
    for document in (VARIANT_BY_NODE, VARIANT_FIELDS_BY_FRAGMENT):
        body = orders_only.raw(document, {"id": variant_id})
        assert body["data"] is None
        assert error_code(body) == "FORBIDDEN"
    body = orders_only.raw("{ products(first: 1) { edges { node { title } } } }")
    assert error_code(body) == "FORBIDDEN"


def test_node_returns_null_when_the_token_may_not_read_the_type(api: Api) -> None:
    """`{ node(id) { id } }` must not confirm that a product exists."""
    channel = factories.channel(api)
    sku = priced_product(api, channel)
    orders_only = api.as_token(
        factories.token(api, "storefront", ["orders:write"], channel=channel)
    )
    for kind in ("Variant", "Product"):
        found = orders_only(
            "query($id: ID!) { node(id: $id) { id __typename } }",
            {"id": factories.global_id(api, kind, sku)},
        )
        assert found == {"node": None}


def test_unit_cost_is_not_served_to_storefront_tokens(api: Api) -> None:
    channel = factories.channel(api)
    sku = priced_product(api, channel, cost="4.20")
    storefront = api.as_token(
        factories.token(api, "storefront", ["catalog:read", "inventory:read"], channel=channel)
    )
    query = "query($s: String!) { variant(sku: $s) { sku unitCost } }"
    assert error_code(storefront.raw(query, {"s": sku})) == "FORBIDDEN"
    assert storefront("query($s: String!) { variant(sku: $s) { sku } }", {"s": sku}) == {
        "variant": {"sku": sku}
    }
    finance = api.as_token(factories.token(api, "admin", ["catalog:read", "finance:read"]))
    assert finance(query, {"s": sku})["variant"]["unitCost"] == "4.2000"


def test_another_channels_view_is_invisible_to_a_channel_bound_token(api: Api) -> None:
    mine, theirs = factories.channel(api), factories.channel(api)
    factories.view(api, theirs, [factories.location(api)], safetyBuffer=3)
    view_id = api("{ channels { code inventoryView { id } } }")["channels"]
    their_view = next(c["inventoryView"]["id"] for c in view_id if c["code"] == theirs)
    their_channel = api(
        "query($id: ID!) { node(id: $id) { ... on InventoryView { code } } }", {"id": their_view}
    )
    assert their_channel == {"node": {"code": theirs}}
    orders_only = api.as_token(factories.token(api, "storefront", ["orders:write"], channel=mine))
    body = orders_only.raw(
        "query($id: ID!) { node(id: $id) { ... on InventoryView { code safetyBuffer } } }",
        {"id": their_view},
    )
    assert error_code(body) == "FORBIDDEN"
    reader = api.as_token(
        factories.token(api, "storefront", ["catalog:read", "inventory:read"], channel=mine)
    )
    found = reader(
        "query($id: ID!) { node(id: $id) { ... on InventoryView { code safetyBuffer } } }",
        {"id": their_view},
    )
    assert found == {"node": None}
    assert [c["code"] for c in reader("{ channels { code } }")["channels"]] == [mine]


def test_a_channel_bound_token_sees_only_its_channels_assortment(api: Api) -> None:
    mine, theirs = factories.channel(api), factories.channel(api)
    sold_here = priced_product(api, mine)
    sold_there = priced_product(api, theirs)
    reader = api.as_token(factories.token(api, "storefront", ["catalog:read"], channel=mine))
    by_sku = "query($s: String!) { variant(sku: $s) { sku product { handle } } }"
    assert reader(by_sku, {"s": sold_here})["variant"]["sku"] == sold_here
    assert reader(by_sku, {"s": sold_there}) == {"variant": None}
    handle = api(by_sku, {"s": sold_there})["variant"]["product"]["handle"]
    assert reader("query($h: String!) { product(handle: $h) { id } }", {"h": handle}) == {
        "product": None
    }
    for kind in ("Variant", "Product"):
        hidden = factories.global_id(api, kind, sold_there)
        assert reader("query($id: ID!) { node(id: $id) { id } }", {"id": hidden}) == {"node": None}
    listed = reader(
        "query($s: [String!]) { products(filter: {skus: $s}) { edges { node { handle } } } }",
        {"s": [sold_here, sold_there]},
    )["products"]["edges"]
    assert len(listed) == 1
    body = reader.raw(
        "query($c: String) { products(channel: $c) { edges { node { handle } } } }", {"c": theirs}
    )
    assert error_code(body) == "FORBIDDEN"


def test_a_location_bound_partner_sees_no_other_locations_stock(api: Api) -> None:
    channel = factories.channel(api)
    own, other = factories.location(api), factories.location(api)
    factories.view(api, channel, [own, other])
    partner = api.as_token(
        factories.token(
            api, "partner", ["catalog:read", "inventory:read", "inventory:write"], location=own
        )
    )
    body = partner.raw(
        'query($c: String!) { availability(channel: $c, skus: ["X"]) { available '
        "locations { location { code } available } } }",
        {"c": channel},
    )
    assert error_code(body) == "FORBIDDEN"
    body = partner.raw('query { variant(sku: "X") { availability(channel: "web") { available } } }')
    assert error_code(body) == "FORBIDDEN"
    codes = [
        e["node"]["code"]
        for e in partner("{ locations(first: 100) { edges { node { code } } } }")["locations"][
            "edges"
        ]
    ]
    assert codes == [own]
    other_id = next(
        e["node"]["id"]
        for e in api("{ locations(first: 100) { edges { node { id code } } } }")["locations"][
            "edges"
        ]
        if e["node"]["code"] == other
    )
    assert partner("query($id: ID!) { node(id: $id) { id } }", {"id": other_id}) == {"node": None}


def test_a_bound_token_cannot_change_channel_configuration(api: Api) -> None:
    channel = factories.channel(api)
    own = factories.location(api)
    before = factories.view(api, channel, [own], safetyBuffer=1)
    for binding in ({"location": own}, {"channel": channel}):
        partner = api.as_token(
            factories.token(api, "partner", ["inventory:read", "inventory:write"], **binding)
        )
        body = partner.raw(
            factories.VIEW,
            {"channel": channel, "input": {"code": channel, "locations": [own], "safetyBuffer": 0}},
        )
        assert error_code(body) == "FORBIDDEN"
    after = api("{ channels { code inventoryView { safetyBuffer } } }")["channels"]
    assert (
        next(c for c in after if c["code"] == channel)["inventoryView"]["safetyBuffer"]
        == before["safetyBuffer"]
    )


def test_a_location_bound_token_cannot_subscribe_to_channel_totals(
    client: TestClient, api: Api
) -> None:
    secret = factories.token(api, "partner", ["inventory:read"], location=factories.location(api))
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": 'subscription { availabilityChanged(channel: "web") { sku } }'
                },
            }
        )
        message = ws.receive_json()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


MINT = factories.TOKEN


def mint(api: Api, **data: Any) -> dict[str, Any]:
    result: dict[str, Any] = api(MINT, {"input": {"name": unique("t"), **data}})["apiTokenCreate"]
    return result


def test_minting_cannot_escalate_scopes(api: Api) -> None:
    minter = api.as_token(factories.token(api, "admin", ["tokens:write", "catalog:read"]))
    refused = mint(minter, kind="admin", scopes=["catalog:read", "finance:read"])
    assert (refused["token"], refused["secret"]) == (None, None)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "scopes", "1"], "FORBIDDEN")
    ]
    allowed = mint(minter, kind="admin", scopes=["catalog:read"])
    assert allowed["userErrors"] == []
    assert allowed["token"]["scopes"] == ["catalog:read"]


def test_minting_cannot_widen_the_binding(api: Api) -> None:
    mine, other = factories.channel(api), factories.channel(api)
    minter = api.as_token(
        factories.token(api, "admin", ["tokens:write", "catalog:read"], channel=mine)
    )
    for data, field in (
        ({"kind": "storefront", "channel": other}, ["input", "channel"]),
        ({"kind": "admin"}, ["input", "channel"]),
    ):
        refused = mint(minter, scopes=["catalog:read"], **data)
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(field, "FORBIDDEN")]
        assert refused["secret"] is None
    same = mint(minter, kind="storefront", scopes=["catalog:read"], channel=mine)
    assert same["userErrors"] == []
    assert same["token"]["channel"] == mine


def test_a_channel_bound_token_reads_positions_of_its_channels_locations_only(api: Api) -> None:
    channel = factories.channel(api)
    inside, outside = factories.location(api), factories.location(api)
    factories.view(api, channel, [inside])
    sku = priced_product(api, channel)
    for code in (inside, outside):
        api(
            "mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) { applied } }",
            {"u": [{"sku": sku, "location": code, "onHand": 5, "asOf": "2026-01-01T00:00:00Z"}]},
        )
    reader = api.as_token(
        factories.token(api, "storefront", ["catalog:read", "inventory:read"], channel=channel)
    )
    query = """query($s: String, $l: String) { inventoryPositions(sku: $s, location: $l) {
      totalCount edges { node { location { code } onHand } } } }"""
    everything = reader(query, {"s": sku})["inventoryPositions"]
    assert everything["totalCount"] == 1
    assert [e["node"]["location"]["code"] for e in everything["edges"]] == [inside]
    assert reader(query, {"s": sku, "l": outside})["inventoryPositions"]["edges"] == []
    assert api(query, {"s": sku})["inventoryPositions"]["totalCount"] == 2
