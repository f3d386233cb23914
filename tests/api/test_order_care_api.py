"""Customer care through the API on both databases: cancel, line cancel, address, hold and
release, appeasement, who may do them; backorders released when stock arrives; pickups
nobody collects expire (the sweeper's handler against the real database)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from domain.orders.commands import ExpirePickups
from domain.orders.handlers.pickups import expire_pickups
from persistence.uow import SqlUnitOfWork
from tests.api.floor import INCOMING, PARIS, Floor, at, care_document, floor
from tests.conftest import Api

CARE_SCOPES = ["orders:write", "orders:read", "catalog:read"]


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def shipped(shop: Floor, fulfillment_id: str) -> None:
    for name in ("accept", "pick", "pack"):
        assert errors(shop.step(name, fulfillment_id)) == []
    assert errors(shop.step("ship", fulfillment_id, carrier="DHL", tracking="JD1")) == []


def test_cancel_releases_stock_and_voids_then_nothing_is_left(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shop.place([(sku, 2)])
    result = shop.care("cancel", id=order["id"], reason="changed my mind")
    assert errors(result) == []
    assert result["order"]["status"] == "CANCELLED"
    assert [f["status"] for f in result["order"]["fulfillments"]] == ["CANCELLED"]
    assert shop.positions(sku)[shop.lille] == (5, 0, 5)
    found = shop.order(order["id"])
    assert found is not None
    assert found["payments"][0]["status"] == "VOIDED"
    again = shop.care("cancel", id=order["id"], reason="again")
    assert errors(again) == [(["id"], "INVALID_TRANSITION")]
    assert shop.order(order["id"]) == found


def test_line_cancel_and_the_address_until_the_parcel_leaves(api: Api) -> None:
    shop = floor(api)
    sku = shop.skus[0]
    order = shop.place([(sku, 3)])
    line = order["lines"][0]["id"]
    result = shop.care("cancelLine", id=order["id"], line=line, quantity=1, reason="one less")
    assert errors(result) == []
    assert result["order"]["lines"][0]["quantityCancelled"] == 1
    assert shop.positions(sku)[shop.lille][1] == 2
    before = shop.order(order["id"])
    for quantity, code in ((3, "INVALID"), (0, "INVALID")):
        bad = shop.care("cancelLine", id=order["id"], line=line, quantity=quantity, reason="x")
        assert errors(bad) == [(["quantity"], code)]
    assert errors(shop.care("cancelLine", id=order["id"], line="nope", quantity=1, reason="x")) == [
        (["lineId"], "NOT_FOUND")
    ]
    lyon = {**PARIS, "city": "Lyon", "postalCode": "69002"}
    abroad = {**PARIS, "country": "BE"}
    assert errors(shop.care("address", id=order["id"], address=abroad)) == [
        (["address", "country"], "INVALID")
    ]
    assert shop.order(order["id"]) == before
    assert errors(shop.care("address", id=order["id"], address=lyon)) == []
    shipped(shop, at(order, shop.lille))
    after = shop.order(order["id"])
    assert errors(shop.care("address", id=order["id"], address=PARIS)) == [
        (["id"], "INVALID_TRANSITION")
    ]
    assert shop.order(order["id"]) == after


def test_hold_stops_the_work_until_released(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    fid = at(order, shop.lille)
    assert errors(shop.care("release", id=order["id"])) == [(["id"], "INVALID_TRANSITION")]
    held = shop.care("hold", id=order["id"], reason="fraud review")
    assert held["order"]["status"] == "ON_HOLD"
    assert errors(shop.step("accept", fid)) == [(["id"], "INVALID_TRANSITION")]
    assert errors(shop.care("hold", id=order["id"], reason="again")) == [
        (["id"], "INVALID_TRANSITION")
    ]
    released = shop.care("release", id=order["id"])
    assert released["order"]["status"] == "CONFIRMED"
    assert [h["type"] for h in released["order"]["history"]][-4:] == [
        "HELD",
        "STATUS_CHANGED",
        "RELEASED",
        "STATUS_CHANGED",
    ]
    assert errors(shop.step("accept", fid)) == []


def test_appeasement_is_bounded_by_what_was_captured(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 2)])
    early = shop.care("appease", id=order["id"], amount="5.00", reason="late")
    assert errors(early) == [(["amount"], "INVALID")]
    shipped(shop, at(order, shop.lille))
    assert errors(shop.care("appease", id=order["id"], amount="5.00", reason="late")) == []
    before = shop.order(order["id"])
    assert before is not None
    assert before["payments"][0]["refunded"] == {"amount": "5.00"}
    assert before["payments"][0]["status"] == "PARTIALLY_REFUNDED"
    for amount in ("34.99", "0", "-1", "0.001"):
        bad = shop.care("appease", id=order["id"], amount=amount, reason="more")
        assert errors(bad) == [(["amount"], "INVALID")], amount
    assert shop.order(order["id"]) == before


def test_who_may_take_care_of_an_order(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    storefront = shop.token("storefront", ["orders:write", "catalog:read"], channel=shop.channel)
    other = floor(api)
    stranger = other.token("partner", CARE_SCOPES, channel=other.channel)
    partner = shop.token("partner", CARE_SCOPES, channel=shop.channel)
    store = shop.token("partner", CARE_SCOPES, location=shop.lille)
    before = shop.order(order["id"])
    assert errors(shop.care("hold", as_=storefront, id=order["id"], reason="x")) == [
        (["id"], "FORBIDDEN")
    ]
    assert errors(shop.care("hold", as_=stranger, id=order["id"], reason="x")) == [
        (["id"], "NOT_FOUND")
    ]
    for token, name, args in (
        (store, "hold", {"reason": "x"}),  # a store does not hold orders
        (partner, "appease", {"amount": "1.00", "reason": "x"}),  # money back: staff only
    ):
        body = token.raw(care_document(name), {"id": order["id"], **args})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert shop.order(order["id"]) == before
    assert shop.care("hold", as_=partner, id=order["id"], reason="call")["order"]["status"] == (
        "ON_HOLD"
    )


def test_backorders_are_released_when_stock_arrives(api: Api) -> None:
    shop = floor(api, {"0": {"lyon": 1}})
    sku = shop.skus[0]
    shop.settings(sourcing={"allowBackorder": True})
    soon = (date.today() + timedelta(days=5)).isoformat()
    supply = api(INCOMING, {"sku": sku, "location": shop.lyon, "quantity": 10, "at": soon})
    assert supply["incomingSupplyAdd"]["applied"] == 1
    order = shop.place([(sku, 3)])
    assert order["status"] == "BACKORDERED"  # 1 unit assigned, 2 waiting
    assert [f["lines"][0]["quantity"] for f in order["fulfillments"]] == [1]
    counted = (datetime.now(UTC)).isoformat()
    api(
        """mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) { applied } }""",
        {"u": [{"sku": sku, "location": shop.lille, "onHand": 4, "asOf": counted}]},
    )
    found = _eventually(shop, order["id"], lambda o: o["status"] == "CONFIRMED")
    assert sorted(
        (f["location"]["code"], f["lines"][0]["quantity"]) for f in found["fulfillments"]
    ) == sorted([(shop.lyon, 1), (shop.lille, 2)])
    assert shop.positions(sku)[shop.lille] == (4, 2, 2)
    assert found["history"][-1]["actor"] == "system:backorder-release"


def _eventually(shop: Floor, order_id: str, done: Any, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = shop.order(order_id)
        assert found is not None
        if done(found) or time.monotonic() > deadline:
            assert done(found), found
            return found
        time.sleep(0.1)


def test_a_pickup_nobody_collects_expires_and_returns_its_stock(
    api: Api, client: TestClient
) -> None:
    shop = floor(api, {"0": {"store": 3}})
    sku = shop.skus[0]
    order = shop.place([(sku, 2)], pickup=True)
    fid = at(order, shop.store)
    for name in ("accept", "pick", "readyForPickup"):
        assert errors(shop.step(name, fid)) == []
    services = client.app.state.services  # type: ignore[attr-defined]

    async def sweep(days: int) -> int:
        now = datetime.now(UTC) + timedelta(days=days)
        return await expire_pickups(
            ExpirePickups(now), lambda: SqlUnitOfWork(services.db), services.gateways
        )

    # The app's own database and gateways, on the app's event loop.
    portal = client.portal
    assert portal is not None
    assert portal.call(sweep, 6) == 0  # inside the channel's 7-day hold
    assert portal.call(sweep, 8) >= 1
    found = shop.order(order["id"])
    assert found is not None
    assert found["status"] == "CANCELLED"
    assert found["fulfillments"][0]["status"] == "EXPIRED"
    assert found["payments"][0]["status"] == "VOIDED"
    assert shop.positions(sku)[shop.store] == (3, 0, 3)
