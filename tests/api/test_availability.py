"""Availability to promise through HTTP: the view's rules, kits, distance, scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests import factories
from tests.api.test_inventory_ingest import SET, ago
from tests.conftest import Api

AVAILABILITY = """query($channel: String!, $skus: [String!]!, $near: GeoPointInput, $radius: Float) {
  availability(channel: $channel, skus: $skus, near: $near, radiusKm: $radius) {
    sku channel available shipAvailable pickupAvailable
    locations { location { code } available distanceKm }
    nextIncoming { quantity expectedAt reference } } }"""

NEW_YORK = {"latitude": 40.7128, "longitude": -74.0060}
BOSTON = {"latitude": 42.3601, "longitude": -71.0589}
CHICAGO = {"latitude": 41.8781, "longitude": -87.6298}


def stock(api: Api, sku: str, counts: dict[str, int]) -> None:
    updates = [
        {"sku": sku, "location": loc, "onHand": n, "asOf": ago(seconds=1)}
        for loc, n in counts.items()
    ]
    assert api(SET, {"updates": updates})["inventorySet"]["userErrors"] == []


def availability(api: Api, channel: str, skus: list[str], **extra: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api(AVAILABILITY, {"channel": channel, "skus": skus, **extra})[
        "availability"
    ]
    return result


def test_view_buffers_percent_and_cap_follow_the_contract_formula(api: Api) -> None:
    channel = factories.channel(api)
    warehouse = factories.location(api)
    store = factories.location(api, kind="STORE", canShip=False, canPickup=True)
    [sku] = factories.product(api)
    stock(api, sku, {warehouse: 50, store: 7})
    factories.view(api, channel, [warehouse, store], safetyBuffer=2, safetyBufferPercent=10)
    [row] = availability(api, channel, [sku])
    # warehouse: 50 - 2 - ceil(5.0) = 43; store: 7 - 2 - ceil(0.7) = 4
    assert (row["available"], row["shipAvailable"], row["pickupAvailable"]) == (47, 43, 4)
    assert {(loc["location"]["code"], loc["available"]) for loc in row["locations"]} == {
        (warehouse, 43),
        (store, 4),
    }
    factories.view(api, channel, [warehouse, store], maxAvailable=10)
    [capped] = availability(api, channel, [sku])
    assert (capped["available"], capped["shipAvailable"], capped["pickupAvailable"]) == (10, 10, 7)


def test_locations_outside_the_view_and_exclusions_do_not_count(api: Api) -> None:
    channel = factories.channel(api)
    counted = factories.location(api)
    dropship = factories.location(api, kind="DROPSHIP_VENDOR")
    outside = factories.location(api)
    excluded_sku, [sku] = factories.product(api)[0], factories.product(api)
    stock(api, sku, {counted: 5, dropship: 9, outside: 100})
    stock(api, excluded_sku, {counted: 5})
    factories.view(
        api,
        channel,
        [counted, dropship],
        excludedSkus=[excluded_sku],
        excludedLocationKinds=["DROPSHIP_VENDOR"],
    )
    rows = {r["sku"]: r for r in availability(api, channel, [sku, excluded_sku])}
    assert rows[sku]["available"] == 5
    assert [loc["location"]["code"] for loc in rows[sku]["locations"]] == [counted]
    assert rows[excluded_sku]["available"] == 0
    assert rows[excluded_sku]["locations"] == []


def test_kit_availability_is_the_scarcest_component(api: Api) -> None:
    channel = factories.channel(api)
    loc = factories.location(api)
    parts = factories.product(api, skus=2)
    [kit] = factories.product(api, kit=[(parts[0], 2), (parts[1], 1)])
    stock(api, parts[0], {loc: 9})
    stock(api, parts[1], {loc: 6})
    factories.view(api, channel, [loc])
    [row] = availability(api, channel, [kit])
    assert row["available"] == 4  # min(9 // 2, 6 // 1)
    via_variant = api(
        "query($sku: String!, $ch: String!) { variant(sku: $sku) { availability(channel: $ch) { available } } }",
        {"sku": kit, "ch": channel},
    )["variant"]["availability"]
    assert via_variant == {"available": 4}


def test_near_orders_locations_by_distance_and_radius_limits_them(api: Api) -> None:
    channel = factories.channel(api)
    boston = factories.location(api, geo=BOSTON, kind="STORE", canPickup=True)
    chicago = factories.location(api, geo=CHICAGO, kind="STORE", canPickup=True)
    [sku] = factories.product(api)
    stock(api, sku, {boston: 3, chicago: 4})
    factories.view(api, channel, [chicago, boston])
    [row] = availability(api, channel, [sku], near=NEW_YORK)
    assert [loc["location"]["code"] for loc in row["locations"]] == [boston, chicago]
    assert 290 < row["locations"][0]["distanceKm"] < 310
    [near_only] = availability(api, channel, [sku], near=NEW_YORK, radius=500)
    assert near_only["available"] == 3
    assert [loc["location"]["code"] for loc in near_only["locations"]] == [boston]


def test_next_incoming_promises_the_earliest_supply(api: Api) -> None:
    channel = factories.channel(api)
    loc = factories.location(api)
    [sku] = factories.product(api)
    factories.view(api, channel, [loc])
    soon = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    later = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    for when, ref in ((later, "PO-2"), (soon, "PO-1")):
        api(
            """mutation($sku: String!, $loc: String!, $when: Date!, $ref: String) {
              incomingSupplyAdd(sku: $sku, location: $loc, quantity: 12, expectedAt: $when,
                                reference: $ref) { applied } }""",
            {"sku": sku, "loc": loc, "when": when, "ref": ref},
        )
    [row] = availability(api, channel, [sku])
    assert row["available"] == 0
    assert row["nextIncoming"] == {"quantity": 12, "expectedAt": soon, "reference": "PO-1"}


def test_channel_bound_token_sees_only_its_channel(api: Api) -> None:
    own = factories.channel(api)
    other = factories.channel(api)
    loc = factories.location(api)
    [sku] = factories.product(api, prices={own: "10", other: "12"})
    stock(api, sku, {loc: 3})
    factories.view(api, own, [loc])
    secret = factories.token(api, "storefront", ["catalog:read", "inventory:read"], channel=own)
    storefront = api.as_token(secret)
    assert (
        storefront(AVAILABILITY, {"channel": own, "skus": [sku]})["availability"][0]["available"]
        == 3
    )
    denied = storefront.raw(AVAILABILITY, {"channel": other, "skus": [sku]})
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    price = storefront.raw(
        "query($sku: String!, $ch: String!) { variant(sku: $sku) { price(channel: $ch) { amount } } }",
        {"sku": sku, "ch": other},
    )
    assert price["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    channels = storefront("{ channels { code } }")["channels"]
    assert channels == [{"code": own}]
