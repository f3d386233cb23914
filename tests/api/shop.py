"""A shop for order API tests, built through the API: a channel (EUR) with a warehouse, a
store that picks up, SKUs priced in it and counted, and the documents the tests send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests import factories
from tests.api.test_availability import availability, stock
from tests.conftest import Api

ERRORS = "userErrors { field code message }"
CART = """id currency email reservedUntil couponCodes
  lines { id quantity method unitPrice { amount currency } discount { amount } total { amount }
    variant { sku } pickupLocation { code } }
  shippingAddress { city country }
  subtotal { amount } discountTotal { amount } shippingTotal { amount } taxTotal { amount }
  total { amount currency }"""
# What the storefront that placed it may read (no e-mail, address or payments).
ORDER = """id number status sourceCode couponCodes createdAt updatedAt
  channel { code }
  lines { id sku quantity quantityCancelled quantityShipped unitPrice { amount } total { amount } }
  fulfillments { id status method location { code } lines { sku quantity } }
  history { type message actor }
  subtotal { amount } shippingTotal { amount } taxTotal { amount } total { amount currency }"""

CART_CREATE = f"""mutation($input: CartCreateInput!) {{
  cartCreate(input: $input) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_LINES_ADD = f"""mutation($cart: ID!, $lines: [CartLineInput!]!) {{
  cartLinesAdd(cartId: $cart, lines: $lines) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_LINE_UPDATE = f"""mutation($cart: ID!, $line: ID!, $quantity: Int!) {{
  cartLineUpdate(cartId: $cart, lineId: $line, quantity: $quantity) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_ADDRESS = f"""mutation($cart: ID!, $address: AddressInput!) {{
  cartShippingAddressSet(cartId: $cart, address: $address) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_COUPON = f"""mutation($cart: ID!, $code: String!) {{
  cartCouponApply(cartId: $cart, code: $code) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_RESERVE = f"""mutation($cart: ID!, $ttl: Int) {{
  cartReserve(cartId: $cart, ttlSeconds: $ttl) {{ cart {{ {CART} }} {ERRORS} }} }}"""
CART_QUERY = f"""query($id: ID!) {{ cart(id: $id) {{ {CART} }} }}"""
PROMISES = """query($id: ID!, $near: GeoPointInput) { cart(id: $id) { promises(near: $near) {
  deliveryOptions { code name price { amount currency } estimatedDeliveryFrom
    estimatedDeliveryTo shipmentCount }
  pickupOptions { location { code } distanceKm readyBy allLinesAvailable unavailableSkus }
  lines { lineId sku shipAvailable pickupLocations backorderDate } } } }"""
CART_COMPLETE = f"""mutation($input: CartCompleteInput!, $key: String) {{
  cartComplete(input: $input, idempotencyKey: $key) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
ORDER_PLACE = f"""mutation($input: OrderPlaceInput!, $key: String) {{
  orderPlace(input: $input, idempotencyKey: $key) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
SHOPPER = """email shippingAddress { city }
  payments { gateway status authorized { amount currency } captured { amount } }"""
ORDER_QUERY = f"""query($id: ID, $number: String) {{
  order(id: $id, number: $number) {{ {ORDER} {SHOPPER} }} }}"""
ORDERS = """query($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id number status } } } }"""
SETTINGS = """mutation($channel: String!, $input: ChannelOrderSettingsInput!) {
  channelOrderSettingsSet(channel: $channel, input: $input) { settings userErrors { field code message } } }"""
POSITIONS = """query($sku: String) { inventoryPositions(sku: $sku) {
  edges { node { location { code } onHand allocated reserved available } } } }"""

PARIS = {
    "line1": "10 rue de la Paix",
    "city": "Paris",
    "postalCode": "75002",
    "country": "FR",
    "geo": {"latitude": 48.8686, "longitude": 2.3314},
}
OK = {"gateway": "test", "token": "tok_ok"}
DECLINED = {"gateway": "test", "token": "tok_declined"}


@dataclass
class Shop:
    api: Api
    channel: str
    warehouse: str
    store: str
    skus: list[str]
    storefront: Api = field(init=False)

    def __post_init__(self) -> None:
        self.storefront = self.api.as_token(
            factories.token(
                self.api, "storefront", ["orders:write", "catalog:read"], channel=self.channel
            )
        )

    def positions(self, sku: str) -> dict[str, dict[str, int]]:
        edges = self.api(POSITIONS, {"sku": sku})["inventoryPositions"]["edges"]
        return {
            e["node"]["location"]["code"]: {k: v for k, v in e["node"].items() if k != "location"}
            for e in edges
        }

    def atp(self, sku: str) -> int:
        [row] = availability(self.api, self.channel, [sku])
        return int(row["available"])

    def cart(self, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "channel": self.channel,
            "lines": lines,
            "customerEmail": "ann@example.com",
        }
        data.update({"shippingAddress": PARIS, **extra})
        result = self.storefront(CART_CREATE, {"input": data})["cartCreate"]
        assert result["userErrors"] == [], result
        cart: dict[str, Any] = result["cart"]
        return cart

    def complete(self, cart_id: str, as_: Api | None = None, **extra: Any) -> dict[str, Any]:
        data = {"cartId": cart_id, "payment": OK, "deliveryOption": "standard", **extra}
        key = data.pop("key", None)
        found: dict[str, Any] = (as_ or self.storefront)(
            CART_COMPLETE, {"input": data, "key": key}
        )["cartComplete"]
        return found


def shop(api: Api, stock_counts: tuple[int, int] = (10, 3), skus: int = 2) -> Shop:
    """`skus` SKUs at 19.99 and 5.00 (then 7.50); the first counted at the warehouse and
    the store as `stock_counts`, the others at the warehouse only (10 each)."""
    channel = factories.channel(api, currency="EUR")
    warehouse = factories.location(
        api, geo={"latitude": 45.76, "longitude": 4.84}, canShip=True, canPickup=False
    )
    store = factories.location(
        api,
        kind="STORE",
        geo={"latitude": 48.87, "longitude": 2.33},
        canShip=True,
        canPickup=True,
        address={"line1": "1 rue", "city": "Paris", "postalCode": "75001", "country": "FR"},
    )
    prices = ["19.99", "5.00", "7.50", "3.00"]
    codes = [factories.product(api, prices={channel: prices[i]})[0] for i in range(skus)]
    factories.view(api, channel, [warehouse, store])
    stock(api, codes[0], {warehouse: stock_counts[0], store: stock_counts[1]})
    for sku in codes[1:]:
        stock(api, sku, {warehouse: 10})
    return Shop(api, channel, warehouse, store, codes)


TOKEN_FIELDS = "id kind scopes channel location customer"
