"""inventoryAdjust event ids through HTTP: each token has its own, a resend is a duplicate,
an id reused for another movement is a CONFLICT for that update."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.api.test_inventory_ingest import ADJUST, POSITIONS, SET, ago, position
from tests.conftest import Api, unique

SCOPES = ["inventory:read", "inventory:write"]


def _stocked(api: Api) -> tuple[str, str]:
    sku, loc = factories.product(api)[0], factories.location(api)
    update = {"sku": sku, "location": loc, "onHand": 10, "asOf": ago(minutes=1)}
    assert api(SET, {"updates": [update]})["inventorySet"]["applied"] == 1
    return sku, loc


def _adjust(api: Api, *updates: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = api(ADJUST, {"updates": list(updates)})["inventoryAdjust"]
    return result


def test_two_tokens_may_use_the_same_event_id_and_each_resend_counts_once(api: Api) -> None:
    sku, loc = _stocked(api)
    till_1 = api.as_token(factories.token(api, "partner", SCOPES, location=loc))
    till_2 = api.as_token(factories.token(api, "partner", SCOPES, location=loc))
    sale = {"sku": sku, "location": loc, "delta": -1, "reason": "sale", "eventId": "sale-1"}
    assert _adjust(till_1, sale)["applied"] == 1
    assert _adjust(till_2, sale)["applied"] == 1
    assert (_adjust(till_1, sale)["duplicates"], _adjust(till_2, sale)["duplicates"]) == (1, 1)
    assert position(api, sku, loc)["onHand"] == 8


def test_an_event_id_reused_for_another_movement_is_a_conflict(api: Api) -> None:
    sku, loc = _stocked(api)
    till = api.as_token(factories.token(api, "partner", SCOPES, location=loc))
    event_id = unique("ev")
    sale = {"sku": sku, "location": loc, "delta": -1, "reason": "sale", "eventId": event_id}
    assert _adjust(till, sale)["applied"] == 1
    other = {**sale, "delta": -4}
    fresh = {**sale, "eventId": unique("ev")}
    result = _adjust(till, other, fresh, sale)
    assert (result["applied"], result["duplicates"]) == (1, 1)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["updates", "0", "eventId"], "CONFLICT")
    ]
    assert position(api, sku, loc)["onHand"] == 8


def test_a_refused_adjustment_at_a_new_location_leaves_no_position_behind(api: Api) -> None:
    # Found by the mutation fuzz: the lock created the (sku, location) position before the
    # eventId was found taken, and the batch committed it although nothing was applied.
    sku, loc = _stocked(api)
    elsewhere = factories.location(api)
    event_id = unique("ev")
    sale = {"sku": sku, "location": loc, "delta": -1, "reason": "sale", "eventId": event_id}
    assert _adjust(api, sale)["applied"] == 1
    moved = {**sale, "location": elsewhere, "delta": 3}
    result = _adjust(api, moved)
    assert (result["applied"], result["duplicates"]) == (0, 0)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["updates", "0", "eventId"], "CONFLICT")
    ]
    edges = api(POSITIONS, {"sku": sku, "location": elsewhere})["inventoryPositions"]["edges"]
    assert edges == []
