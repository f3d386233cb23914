"""Fulfillment operations through the API, on both databases: every transition allowed and
refused, stock and money after shipping, re-sourcing on reject, pickup codes, and tokens
acting only where they are bound."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus, fulfillment_move_allowed
from tests.api.floor import Floor, at, floor
from tests.conftest import Api

F = FulfillmentStatus
# Each operation and the status it moves a fulfillment to.
TARGET = {
    "accept": F.ACCEPTED,
    "pick": F.PICKED,
    "pack": F.PACKED,
    "ship": F.SHIPPED,
    "readyForPickup": F.READY_FOR_PICKUP,
    "pickedUp": F.PICKED_UP,
    "reject": F.REJECTED,
}
ARGS: dict[str, dict[str, Any]] = {
    "ship": {"carrier": "UPS", "tracking": "1Z1"},
    "pickedUp": {"code": "000000"},
    "reject": {"reason": "cannot"},
}
STORE_SCOPES = ["fulfillment:write", "orders:read", "catalog:read"]


@pytest.fixture(scope="module")
def shop(api: Api) -> Floor:
    return floor(api, {"0": {"lille": 50, "lyon": 50, "store": 50}, "1": {"lyon": 50}})


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def refused_everywhere(shop: Floor, fid: str, order_id: str, status: F, method: str) -> None:
    """Every operation the table does not allow from `status` is INVALID_TRANSITION and
    leaves the order exactly as it was."""
    before = shop.order(order_id)
    for name, target in TARGET.items():
        if fulfillment_move_allowed(status, target, FulfillmentMethod(method)):
            continue
        result = shop.step(name, fid, **ARGS.get(name, {}))
        assert errors(result) == [(["id"], "INVALID_TRANSITION")], (status, name, result)
        assert result["fulfillment"] is None
    assert shop.order(order_id) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("SHIP", ["accept", "pick", "pack", "ship"]),
        ("PICKUP", ["accept", "pick", "readyForPickup"]),
        ("PICKUP", ["accept", "pick", "pack", "readyForPickup"]),
    ],
)
def test_every_transition_along_a_path_is_allowed_and_every_other_refused(
    shop: Floor, method: str, path: list[str]
) -> None:
    order = shop.place([(shop.skus[0], 1)], pickup=method == "PICKUP")
    fid = order["fulfillments"][0]["id"]
    status = F.ASSIGNED
    for name in path:
        refused_everywhere(shop, fid, order["id"], status, method)
        result = shop.step(name, fid, **ARGS.get(name, {}))
        assert errors(result) == [], result
        status = TARGET[name]
        assert result["fulfillment"]["status"] == status.value
    refused_everywhere(shop, fid, order["id"], status, method)


def test_rejected_and_cancelled_are_final(shop: Floor) -> None:
    order = shop.place([(shop.skus[0], 1)])
    fid = order["fulfillments"][0]["id"]
    assert errors(shop.step("reject", fid, reason="no stock")) == []
    refused_everywhere(shop, fid, order["id"], F.REJECTED, "SHIP")
    other = shop.place([(shop.skus[0], 1)])
    assert errors(shop.care("cancel", id=other["id"], reason="changed my mind")) == []
    gone = other["fulfillments"][0]["id"]
    refused_everywhere(shop, gone, other["id"], F.CANCELLED, "SHIP")


def test_shipping_captures_the_parcel_and_its_units_leave_on_hand(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    lille_app = shop.token("partner", STORE_SCOPES, location=shop.lille)
    order = shop.place([(sku, 2)])
    fid = at(order, shop.lille)
    for name in ("accept", "pick", "pack"):
        assert errors(shop.step(name, fid, as_=lille_app)) == []
    counted_at = datetime.now(UTC).isoformat()  # the warehouse counts 5, then ships 2
    result = shop.step("ship", fid, as_=lille_app, carrier="UPS", tracking="1Z999")
    assert errors(result) == []
    shipped = result["fulfillment"]
    assert (shipped["status"], shipped["carrier"], shipped["trackingNumber"]) == (
        "SHIPPED",
        "UPS",
        "1Z999",
    )
    assert shipped["order"]["status"] == "SHIPPED"
    found = shop.order(order["id"])
    assert found is not None
    assert found["payments"] == [
        {
            "status": "CAPTURED",
            "authorized": {"amount": "39.98"},
            "captured": {"amount": "39.98"},
            "refunded": {"amount": "0.00"},
        }
    ]
    assert found["lines"][0]["quantityShipped"] == 2
    assert shop.positions(sku)[shop.lille] == (3, 0, 3)
    actors = [h["actor"] for h in found["history"] if h["type"].startswith("FULFILLMENT_")]
    assert actors[-1].startswith("partner:")

    # The count taken before the parcel left arrives after it: the shipment is re-applied.
    applied = api(
        """mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) { applied } }""",
        {"u": [{"sku": sku, "location": shop.lille, "onHand": 5, "asOf": counted_at}]},
    )
    assert applied["inventorySet"]["applied"] == 1
    assert shop.positions(sku)[shop.lille] == (3, 0, 3)


def test_a_rejected_parcel_is_re_sourced_to_the_next_best_location(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shop.place([(sku, 2)])
    lille = at(order, shop.lille)  # nearer Paris than Lyon
    result = shop.step("reject", lille, reason="water damage")
    assert errors(result) == []
    assert result["fulfillment"]["status"] == "REJECTED"
    found = shop.order(order["id"])
    assert found is not None
    assert [(f["location"]["code"], f["status"]) for f in found["fulfillments"]] == [
        (shop.lille, "REJECTED"),
        (shop.lyon, "ASSIGNED"),
    ]
    assert found["status"] == "CONFIRMED"
    positions = shop.positions(sku)
    assert (positions[shop.lille][1], positions[shop.lyon][1]) == (0, 2)
    # Lyon rejects too: nobody else may send it (Lille rejected it), the line is cancelled.
    assert errors(shop.step("reject", at(found, shop.lyon), reason="short")) == []
    found = shop.order(order["id"])
    assert found is not None
    assert found["status"] == "CANCELLED"
    assert found["lines"][0]["quantityCancelled"] == 2
    assert found["payments"][0]["status"] == "VOIDED"
    assert shop.positions(sku)[shop.lyon][1] == 0


def test_a_pickup_is_handed_over_against_the_code_the_shopper_reads(api: Api) -> None:
    shop = floor(api, {"0": {"store": 3}})
    store_app = shop.token("partner", STORE_SCOPES, location=shop.store)
    shopper = shop.token("customer", ["orders:read"], customer="ann@example.com")
    order = shop.place([(shop.skus[0], 2)], pickup=True)
    fid = at(order, shop.store)
    for name in ("accept", "pick", "readyForPickup"):
        assert errors(shop.step(name, fid, as_=store_app)) == []

    def code() -> str:
        query = "query($id: ID!) { node(id: $id) { ... on Fulfillment { pickupCode } } }"
        value: str = shopper(query, {"id": fid})["node"]["pickupCode"]
        return value

    right = code()
    assert len(right) == 6
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        result = shop.step("pickedUp", fid, as_=store_app, code=wrong)
        assert errors(result) == [(["pickupCode"], "INVALID")]
    # The store never sees the code; the refused attempts were all committed.
    found = shop.order(order["id"])
    assert found is not None
    assert [h["type"] for h in found["history"]].count("PICKUP_CODE_REJECTED") == 5
    result = shop.step("pickedUp", fid, as_=store_app, code=right)
    assert errors(result) == [(["pickupCode"], "FORBIDDEN")]
    assert errors(shop.step("reissue", fid, as_=store_app)) == []
    result = shop.step("pickedUp", fid, as_=store_app, code=code())
    assert errors(result) == []
    assert result["fulfillment"]["order"]["status"] == "COMPLETED"
    assert shop.positions(shop.skus[0])[shop.store] == (1, 0, 1)


def test_tokens_act_only_on_their_location_and_channel(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    fid = at(order, shop.lille)
    lyon_app = shop.token("partner", STORE_SCOPES, location=shop.lyon)
    other = floor(api)
    other_channel = other.token("partner", STORE_SCOPES, channel=other.channel)
    for token in (lyon_app, other_channel):
        result = shop.step("accept", fid, as_=token)
        assert errors(result) == [(["id"], "NOT_FOUND")]
        assert token(
            "query($id: ID!) { node(id: $id) { id } order(id: $id) { id } }", {"id": fid}
        ) == {"node": None, "order": None}
    assert errors(shop.step("accept", "not-an-id")) == [(["id"], "NOT_FOUND")]
    # The store's own token sees its work, and only its work, on the order.
    lille_app = shop.token("partner", STORE_SCOPES, location=shop.lille)
    seen = shop.order(order["id"], as_=lille_app)
    assert seen is not None
    assert [f["location"]["code"] for f in seen["fulfillments"]] == [shop.lille]
    assert shop.order(order["id"], as_=lyon_app) is None
    # Without fulfillment:write the mutation is refused before it runs.
    reader = shop.token("partner", ["orders:read"], channel=shop.channel)
    body = reader.raw(
        "mutation($id: ID!) { fulfillmentAccept(id: $id) { userErrors { code } } }", {"id": fid}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert shop.order(order["id"]) is not None
    assert shop.step("accept", fid, as_=lille_app)["fulfillment"]["status"] == "ACCEPTED"
