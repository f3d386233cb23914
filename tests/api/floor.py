"""A shop floor for the order operations API tests, built through the API: a channel
(EUR) with a warehouse in Lille, one in Lyon and a Paris store that picks up; SKUs priced
in it; orders placed whole (orderPlace) by an admin, paid with `tok_ok`; the documents the
store, warehouse and care tests send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests import factories
from tests.api.test_availability import stock
from tests.conftest import Api

ERRORS = "userErrors { field code message }"
FULFILLMENT = """id status method carrier trackingNumber location { code }
  lines { orderLineId sku quantity }"""
ORDER = """id number status
  lines { id sku quantity quantityCancelled quantityShipped }
  fulfillments { id status method location { code } lines { sku quantity } }
  history { type message actor }
  total { amount currency }"""
PAYMENTS = "payments { status authorized { amount } captured { amount } refunded { amount } }"

ORDER_PLACE = f"""mutation($input: OrderPlaceInput!) {{
  orderPlace(input: $input) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
ORDER_QUERY = f"""query($id: ID) {{ order(id: $id) {{ {ORDER} {PAYMENTS} }} }}"""
# For tokens that may not read payments (customers:read).
ORDER_ONLY = f"""query($id: ID) {{ order(id: $id) {{ {ORDER} }} }}"""
POSITIONS = """query($sku: String) { inventoryPositions(sku: $sku) {
  edges { node { location { code } onHand allocated available } } } }"""
SETTINGS = """mutation($channel: String!, $input: ChannelOrderSettingsInput!) {
  channelOrderSettingsSet(channel: $channel, input: $input) { userErrors { field code } } }"""
INCOMING = """mutation($sku: String!, $location: String!, $quantity: Int!, $at: Date!) {
  incomingSupplyAdd(sku: $sku, location: $location, quantity: $quantity, expectedAt: $at) {
    applied userErrors { field code } } }"""

# One document per fulfillment step: name -> (mutation, extra argument declarations).
STEPS = {
    "accept": ("fulfillmentAccept", "", ""),
    "pick": ("fulfillmentPick", "", ""),
    "pack": ("fulfillmentPack", "", ""),
    "readyForPickup": ("fulfillmentReadyForPickup", "", ""),
    "reissue": ("fulfillmentPickupCodeReissue", "", ""),
    "reject": ("fulfillmentReject", ", $reason: String!", ", reason: $reason"),
    "ship": (
        "fulfillmentShip",
        ", $carrier: String!, $tracking: String!",
        ", carrier: $carrier, trackingNumber: $tracking",
    ),
    "pickedUp": ("fulfillmentPickedUp", ", $code: String!", ", pickupCode: $code"),
}
CARE = {
    "cancel": ("orderCancel", "$id: ID!, $reason: String!", "id: $id, reason: $reason"),
    "cancelLine": (
        "orderLineCancel",
        "$id: ID!, $line: ID!, $quantity: Int!, $reason: String!",
        "orderId: $id, lineId: $line, quantity: $quantity, reason: $reason",
    ),
    "address": (
        "orderShippingAddressUpdate",
        "$id: ID!, $address: AddressInput!",
        "id: $id, address: $address",
    ),
    "hold": ("orderHold", "$id: ID!, $reason: String!", "id: $id, reason: $reason"),
    "release": ("orderRelease", "$id: ID!", "id: $id"),
    "appease": (
        "orderAppease",
        "$id: ID!, $amount: Decimal!, $reason: String!",
        "id: $id, amount: $amount, reason: $reason",
    ),
}

PARIS = {
    "line1": "10 rue de la Paix",
    "city": "Paris",
    "postalCode": "75002",
    "country": "FR",
    "geo": {"latitude": 48.8686, "longitude": 2.3314},
}
OK = {"gateway": "test", "token": "tok_ok"}


def step_document(name: str) -> str:
    field, declared, passed = STEPS[name]
    return f"""mutation($id: ID!{declared}) {{ {field}(id: $id{passed}) {{
      fulfillment {{ {FULFILLMENT} order {{ id status }} }} {ERRORS} }} }}"""


def care_document(name: str) -> str:
    field, declared, passed = CARE[name]
    return f"""mutation({declared}) {{ {field}({passed}) {{
      order {{ {ORDER} }} {ERRORS} }} }}"""


@dataclass
class Floor:
    api: Api
    channel: str
    lille: str
    lyon: str
    store: str
    skus: list[str]

    def place(
        self, lines: list[tuple[str, int]], pickup: bool = False, paid: bool = True
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "channel": self.channel,
            "lines": [{"sku": sku, "quantity": n} for sku, n in lines],
            "email": "ann@example.com",
        }
        if pickup:
            data["pickupLocation"] = self.store
        else:
            data.update(shippingAddress=PARIS, deliveryOption="standard")
        if paid:
            data["payment"] = OK
        result = self.api(ORDER_PLACE, {"input": data})["orderPlace"]
        assert result["userErrors"] == [], result
        order: dict[str, Any] = result["order"]
        return order

    def order(self, order_id: str, as_: Api | None = None) -> dict[str, Any] | None:
        """The order with its payments, as staff reads it; without them as `as_` does."""
        query = ORDER_QUERY if as_ is None else ORDER_ONLY
        found: dict[str, Any] | None = (as_ or self.api)(query, {"id": order_id})["order"]
        return found

    def step(self, name: str, fulfillment_id: str, as_: Api | None = None, **args: Any) -> Any:
        field = STEPS[name][0]
        return (as_ or self.api)(step_document(name), {"id": fulfillment_id, **args})[field]

    def care(self, name: str, as_: Api | None = None, **args: Any) -> Any:
        field = CARE[name][0]
        return (as_ or self.api)(care_document(name), args)[field]

    def positions(self, sku: str) -> dict[str, tuple[int, int, int]]:
        edges = self.api(POSITIONS, {"sku": sku})["inventoryPositions"]["edges"]
        return {
            e["node"]["location"]["code"]: (
                e["node"]["onHand"],
                e["node"]["allocated"],
                e["node"]["available"],
            )
            for e in edges
        }

    def settings(self, **sections: Any) -> None:
        result = self.api(SETTINGS, {"channel": self.channel, "input": sections})
        assert result["channelOrderSettingsSet"]["userErrors"] == [], result

    def token(self, kind: str, scopes: list[str], **binding: str) -> Api:
        return self.api.as_token(factories.token(self.api, kind, scopes, **binding))


def at(order: dict[str, Any], location: str) -> str:
    """The id of the order's last fulfillment at a location."""
    found = [f["id"] for f in order["fulfillments"] if f["location"]["code"] == location]
    assert found, order["fulfillments"]
    return str(found[-1])


def floor(api: Api, counts: dict[str, dict[str, int]] | None = None) -> Floor:
    """Two SKUs at 19.99 and 5.00; counts per SKU index ("0", "1") and location role
    ("lille", "lyon", "store"), by default 5 of the first SKU in Lille and Lyon."""
    channel = factories.channel(api, currency="EUR")
    lille = factories.location(api, geo={"latitude": 50.63, "longitude": 3.06})
    lyon = factories.location(api, geo={"latitude": 45.76, "longitude": 4.84})
    store = factories.location(
        api,
        kind="STORE",
        geo={"latitude": 48.87, "longitude": 2.33},
        canShip=True,
        canPickup=True,
        address={"line1": "1 rue", "city": "Paris", "postalCode": "75001", "country": "FR"},
    )
    skus = [factories.product(api, prices={channel: p})[0] for p in ("19.99", "5.00")]
    factories.view(api, channel, [lille, lyon, store])
    roles = {"lille": lille, "lyon": lyon, "store": store}
    for index, per_role in (counts or {"0": {"lille": 5, "lyon": 5}}).items():
        stock(api, skus[int(index)], {roles[role]: n for role, n in per_role.items()})
    return Floor(api, channel, lille, lyon, store, skus)
