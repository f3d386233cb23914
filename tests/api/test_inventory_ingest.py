"""Inventory ingest through HTTP: absolute counts, deltas, staleness, per-update errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests import factories
from tests.conftest import Api, unique

SET = """mutation($updates: [InventorySetInput!]!) { inventorySet(updates: $updates) {
  applied duplicates stale clamped userErrors { field code message } } }"""
ADJUST = """mutation($updates: [InventoryAdjustInput!]!) { inventoryAdjust(updates: $updates) {
  applied duplicates stale clamped userErrors { field code message } } }"""
POSITIONS = """query($sku: String, $location: String) {
  inventoryPositions(sku: $sku, location: $location) { totalCount edges { node {
    sku onHand allocated reserved safetyStock unsellable available location { code }
    incoming { quantity expectedAt reference } } } } }"""


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def position(api: Api, sku: str, location: str) -> dict[str, Any]:
    edges = api(POSITIONS, {"sku": sku, "location": location})["inventoryPositions"]["edges"]
    assert len(edges) == 1
    node: dict[str, Any] = edges[0]["node"]
    return node


def setup(api: Api) -> tuple[str, str]:
    return factories.product(api)[0], factories.location(api)


def test_set_is_absolute_and_available_follows_the_formula(api: Api) -> None:
    sku, loc = setup(api)
    result = api(
        SET,
        {
            "updates": [
                {
                    "sku": sku,
                    "location": loc,
                    "onHand": 20,
                    "asOf": ago(minutes=5),
                    "safetyStock": 3,
                    "unsellable": 2,
                }
            ]
        },
    )["inventorySet"]
    assert result == {"applied": 1, "duplicates": 0, "stale": 0, "clamped": 0, "userErrors": []}
    node = position(api, sku, loc)
    assert (node["onHand"], node["safetyStock"], node["unsellable"], node["available"]) == (
        20,
        3,
        2,
        15,
    )


def test_older_count_is_stale_and_changes_nothing(api: Api) -> None:
    sku, loc = setup(api)
    api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 8, "asOf": ago(minutes=1)}]})
    result = api(
        SET, {"updates": [{"sku": sku, "location": loc, "onHand": 99, "asOf": ago(hours=1)}]}
    )["inventorySet"]
    assert (result["applied"], result["stale"]) == (0, 1)
    assert position(api, sku, loc)["onHand"] == 8


def test_replayed_event_counts_once(api: Api) -> None:
    sku, loc = setup(api)
    api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 10, "asOf": ago(minutes=1)}]})
    sale = {"sku": sku, "location": loc, "delta": -1, "reason": "pos-sale", "eventId": unique("ev")}
    first = api(ADJUST, {"updates": [sale]})["inventoryAdjust"]
    again = api(ADJUST, {"updates": [sale, sale]})["inventoryAdjust"]
    assert (first["applied"], first["duplicates"]) == (1, 0)
    assert (again["applied"], again["duplicates"]) == (0, 2)
    assert position(api, sku, loc)["onHand"] == 9


def test_late_count_reapplies_movements_recorded_after_it(api: Api) -> None:
    """A count taken before a sale but received after it must not lose the sale."""
    sku, loc = setup(api)
    api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 10, "asOf": ago(hours=2)}]})
    counted_at = ago(minutes=30)
    api(
        ADJUST,
        {
            "updates": [
                {"sku": sku, "location": loc, "delta": -3, "reason": "sale", "eventId": unique("e")}
            ]
        },
    )
    assert position(api, sku, loc)["onHand"] == 7
    # The store counted 12 thirty minutes ago, before the sale above was recorded.
    late = api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 12, "asOf": counted_at}]})
    assert late["inventorySet"]["applied"] == 1
    assert position(api, sku, loc)["onHand"] == 9
    # A count taken now already includes the sale.
    api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 12, "asOf": ago(seconds=0)}]})
    assert position(api, sku, loc)["onHand"] == 12


def test_bad_updates_are_reported_by_index_and_the_rest_apply(api: Api) -> None:
    sku, loc = setup(api)
    other_sku = factories.product(api)[0]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    result = api(
        SET,
        {
            "updates": [
                {"sku": sku, "location": loc, "onHand": 5, "asOf": ago(minutes=1)},
                {"sku": "NO-SUCH-SKU", "location": loc, "onHand": 5, "asOf": ago(minutes=1)},
                {"sku": sku, "location": "no-such-loc", "onHand": 5, "asOf": ago(minutes=1)},
                {"sku": other_sku, "location": loc, "onHand": -1, "asOf": ago(minutes=1)},
                {"sku": other_sku, "location": loc, "onHand": 4, "asOf": future},
                {"sku": sku, "location": loc, "onHand": 6, "asOf": ago(minutes=1)},
            ]
        },
    )["inventorySet"]
    assert result["applied"] == 1
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["updates", "3", "onHand"], "INVALID"),
        (["updates", "4", "asOf"], "INVALID"),
        (["updates", "1", "sku"], "NOT_FOUND"),
        (["updates", "2", "location"], "NOT_FOUND"),
        (["updates", "5", "sku"], "DUPLICATE"),
    ]
    assert position(api, sku, loc)["onHand"] == 5
    assert api(POSITIONS, {"sku": other_sku, "location": loc})["inventoryPositions"]["edges"] == []


def test_sale_beyond_stock_clamps_at_zero_and_is_flagged(api: Api) -> None:
    sku, loc = setup(api)
    api(SET, {"updates": [{"sku": sku, "location": loc, "onHand": 2, "asOf": ago(minutes=1)}]})
    result = api(
        ADJUST,
        {
            "updates": [
                {"sku": sku, "location": loc, "delta": -5, "reason": "sale", "eventId": unique("e")}
            ]
        },
    )["inventoryAdjust"]
    assert (result["applied"], result["clamped"]) == (1, 1)
    assert position(api, sku, loc)["onHand"] == 0


def test_batches_over_ten_thousand_are_refused_whole(api: Api) -> None:
    sku, loc = setup(api)
    update = {"sku": sku, "location": loc, "delta": 1, "reason": "r", "eventId": "x"}
    result = api(ADJUST, {"updates": [update] * 10_001})["inventoryAdjust"]
    assert result["applied"] == 0
    assert [e["code"] for e in result["userErrors"]] == ["INVALID"]


def test_location_bound_partner_may_update_only_its_location(api: Api) -> None:
    sku, own = setup(api)
    other = factories.location(api)
    secret = factories.token(
        api, "partner", ["inventory:write", "inventory:read", "catalog:read"], location=own
    )
    partner = api.as_token(secret)
    result = partner(
        SET,
        {
            "updates": [
                {"sku": sku, "location": own, "onHand": 3, "asOf": ago(minutes=1)},
                {"sku": sku, "location": other, "onHand": 3, "asOf": ago(minutes=1)},
            ]
        },
    )["inventorySet"]
    assert result["applied"] == 1
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["updates", "1", "location"], "FORBIDDEN")
    ]
    assert api(POSITIONS, {"sku": sku, "location": other})["inventoryPositions"]["edges"] == []
    seen = partner(POSITIONS, {"sku": sku, "location": None})["inventoryPositions"]
    assert [e["node"]["location"]["code"] for e in seen["edges"]] == [own]
    denied = partner.raw(POSITIONS, {"sku": sku, "location": other})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_incoming_supply_shows_on_the_position(api: Api) -> None:
    sku, loc = setup(api)
    when = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    result = api(
        """mutation($sku: String!, $loc: String!, $when: Date!) {
          incomingSupplyAdd(sku: $sku, location: $loc, quantity: 40, expectedAt: $when,
                            reference: "PO-1001") { applied userErrors { field code } } }""",
        {"sku": sku, "loc": loc, "when": when},
    )["incomingSupplyAdd"]
    assert result == {"applied": 1, "userErrors": []}
    assert position(api, sku, loc)["incoming"] == [
        {"quantity": 40, "expectedAt": when, "reference": "PO-1001"}
    ]
