"""Promotions through HTTP: create, list, node, bad input, policies; discounts on carts,
at checkout (cartComplete, orderPlace) and the counted uses; orders by source code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests import factories
from tests.api.shop import CART_COUPON, OK, ORDERS, PARIS, SETTINGS, Shop, shop
from tests.api.test_n_plus_one import counting
from tests.conftest import Api, unique

ERRORS = "userErrors { field code message }"
PROMOTION = """id name kind value channels couponCode usageLimit timesUsed startsAt endsAt
  minSubtotal skus categories buyQuantity getQuantity exclusive priority sourceCode"""
CREATE = f"""mutation($input: PromotionInput!) {{
  promotionCreate(input: $input) {{ promotion {{ {PROMOTION} }} {ERRORS} }} }}"""
LIST = f"""query($channel: String) {{ promotions(channel: $channel) {{ {PROMOTION} }} }}"""
BARE_NODE = """query($id: ID!) { node(id: $id) { id } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on Promotion { name channels } } }"""
COUPON_REMOVE = f"""mutation($cart: ID!, $code: String!) {{
  cartCouponRemove(cartId: $cart, code: $code) {{ cart {{ couponCodes discountTotal {{ amount }} }}
  {ERRORS} }} }}"""
PRICED = """id number sourceCode couponCodes status
  lines { sku quantity unitPrice { amount } discount { amount } total { amount } }
  subtotal { amount } discountTotal { amount } shippingTotal { amount } total { amount }"""
CART_PRICED = """id couponCodes lines { id discount { amount } total { amount } }
  subtotal { amount } discountTotal { amount } total { amount }
  promises { deliveryOptions { code price { amount } } }"""
CART_GET = f"""query($id: ID!) {{ cart(id: $id) {{ {CART_PRICED} }} }}"""
COMPLETE = f"""mutation($input: CartCompleteInput!) {{
  cartComplete(input: $input) {{ order {{ {PRICED} }} {ERRORS} }} }}"""
PLACE = f"""mutation($input: OrderPlaceInput!) {{
  orderPlace(input: $input) {{ order {{ {PRICED} }} {ERRORS} }} }}"""
HISTORY = """query($id: ID!) { order(id: $id) { history { type message } } }"""
CANCEL = """mutation($id: ID!) { orderCancel(id: $id, reason: "changed my mind") {
  order { status } userErrors { code } } }"""


def errors(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"]), e["code"]) for e in payload["userErrors"]]


def create(api: Api, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = api(CREATE, {"input": {"name": unique("promo"), **fields}})[
        "promotionCreate"
    ]
    return found


def created(api: Api, **fields: Any) -> dict[str, Any]:
    result = create(api, **fields)
    assert result["userErrors"] == [], result
    promotion: dict[str, Any] = result["promotion"]
    return promotion


def listed(api: Api, channel: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api(LIST, {"channel": channel})["promotions"]
    return found


def amounts(thing: dict[str, Any], *names: str) -> list[str]:
    return [thing[name]["amount"] for name in names]


def test_create_list_and_node_show_every_field(api: Api) -> None:
    channel = factories.channel(api, currency="EUR")
    code = unique("spring").replace("-", "_")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    promotion = created(
        api,
        kind="BUY_X_GET_Y",
        value="100",
        channels=[channel],
        couponCode=f" {code.lower()} ",
        usageLimit=50,
        startsAt=start.isoformat(),
        endsAt=(start + timedelta(days=30)).astimezone(timezone(timedelta(hours=2))).isoformat(),
        minSubtotal="20.00",
        skus=["SKU-B", "SKU-A"],
        buyQuantity=2,
        getQuantity=1,
        exclusive=True,
        priority=5,
        sourceCode="newsletter",
    )
    assert {k: v for k, v in promotion.items() if k not in ("id", "name")} == {
        "kind": "BUY_X_GET_Y",
        "value": "100",
        "channels": [channel],
        "couponCode": code.upper(),
        "usageLimit": 50,
        "timesUsed": 0,
        "startsAt": "2026-01-01T00:00:00+00:00",
        "endsAt": "2026-01-31T00:00:00+00:00",
        "minSubtotal": "20",
        "skus": ["SKU-A", "SKU-B"],
        "categories": [],
        "buyQuantity": 2,
        "getQuantity": 1,
        "exclusive": True,
        "priority": 5,
        "sourceCode": "NEWSLETTER",
    }
    low = created(api, kind="ORDER_PERCENT", value="12.5", channels=[channel])
    assert [p["id"] for p in listed(api, channel)] == [promotion["id"], low["id"]]  # priority
    [read] = [p for p in listed(api, channel) if p["id"] == promotion["id"]]
    assert read == promotion  # the same whether just created or read back
    found = api(NODE, {"id": promotion["id"]})["node"]
    assert found == {"__typename": "Promotion", "name": promotion["name"], "channels": [channel]}


def test_bad_input_names_every_problem_and_stores_nothing(api: Api) -> None:
    channel = factories.channel(api, currency="EUR")
    code = unique("dup").replace("-", "_")
    created(api, kind="ORDER_FIXED", value="5.00", channels=[channel], couponCode=code)
    before = listed(api, channel)
    cases: list[tuple[dict[str, Any], list[tuple[tuple[str, ...], str]]]] = [
        ({"kind": "ORDER_PERCENT", "value": "-1"}, [(("input", "value"), "INVALID")]),
        ({"kind": "LINE_PERCENT", "value": "101"}, [(("input", "value"), "INVALID")]),
        (
            {"kind": "ORDER_FIXED", "value": "5", "skus": ["X"]},
            [(("input", "skus"), "INVALID")],
        ),
        ({"kind": "ORDER_FIXED", "value": "5.001"}, [(("input", "value"), "INVALID")]),
        (
            {"kind": "ORDER_PERCENT", "value": "10", "channels": [channel, "nowhere-x"]},
            [(("input", "channels", "1"), "NOT_FOUND")],
        ),
        (
            {
                "kind": "ORDER_PERCENT",
                "value": "10",
                "startsAt": "2026-05-01T00:00:00+00:00",
                "endsAt": "2026-05-01T00:00:00+00:00",
            },
            [(("input", "endsAt"), "INVALID")],
        ),
        (
            {"kind": "ORDER_PERCENT", "value": "10", "couponCode": code.lower()},
            [(("input", "couponCode"), "DUPLICATE")],
        ),
        (
            {"kind": "BUY_X_GET_Y", "value": "50"},
            [
                (("input", "buyQuantity"), "INVALID"),
                (("input", "getQuantity"), "INVALID"),
            ],
        ),
        (
            {"kind": "ORDER_PERCENT", "value": "10", "usageLimit": 0, "couponCode": "no way"},
            [(("input", "couponCode"), "INVALID"), (("input", "usageLimit"), "INVALID")],
        ),
    ]
    for fields, expected in cases:
        result = create(api, **{"channels": [channel], **fields})
        assert result["promotion"] is None
        assert sorted(errors(result)) == sorted(expected), fields
    assert listed(api, channel) == before


def test_policies_and_channel_bindings(api: Api) -> None:
    mine, other = factories.channel(api, currency="EUR"), factories.channel(api, currency="EUR")
    shared = created(api, kind="ORDER_PERCENT", value="5", channels=[mine, other])
    theirs = created(api, kind="ORDER_PERCENT", value="5", channels=[other], couponCode=unique("T"))
    storefront = api.as_token(
        factories.token(api, "storefront", ["orders:write", "catalog:read"], channel=mine)
    )
    refused = storefront.raw(LIST, {"channel": mine})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert storefront(BARE_NODE, {"id": theirs["id"]})["node"] is None  # may not read the type
    finance = api.as_token(factories.token(api, "admin", ["finance:read"]))
    assert {p["id"] for p in listed(finance, other)} == {shared["id"], theirs["id"]}
    denied = finance.raw(
        CREATE, {"input": {"name": "x", "kind": "FREE_SHIPPING", "value": "0", "channels": [mine]}}
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bound = api.as_token(factories.token(api, "admin", ["promotions:write"], channel=mine))
    assert bound.raw(LIST, {"channel": other})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    seen = bound(LIST, {})["promotions"]
    assert [(p["id"], p["channels"]) for p in seen] == [(shared["id"], [mine])]
    assert bound(NODE, {"id": theirs["id"]})["node"] is None
    elsewhere = create(bound, kind="ORDER_PERCENT", value="5", channels=[other])
    assert errors(elsewhere) == [(("input", "channels", "0"), "NOT_FOUND")]
    assert created(bound, kind="ORDER_PERCENT", value="5", channels=[mine])["channels"] == [mine]


def test_cart_shows_discounts_and_refuses_coupons_that_give_nothing(api: Api) -> None:
    s = shop(api)
    a, b = s.skus
    created(api, kind="LINE_PERCENT", value="10", channels=[s.channel], skus=[a])
    code = unique("TEN").replace("-", "_").upper()
    created(api, kind="ORDER_FIXED", value="10.00", channels=[s.channel], couponCode=code)
    past = unique("OLD").replace("-", "_").upper()
    created(
        api,
        kind="ORDER_FIXED",
        value="1.00",
        channels=[s.channel],
        couponCode=past,
        endsAt="2020-01-01T00:00:00+00:00",
    )
    elsewhere = unique("ELSE").replace("-", "_").upper()
    created(
        api,
        kind="ORDER_FIXED",
        value="1.00",
        channels=[factories.channel(api)],
        couponCode=elsewhere,
    )
    cart = s.cart([{"sku": a, "quantity": 2}, {"sku": b, "quantity": 1}])
    # 2 x 19.99 = 39.98, 10 % off: 4.00
    assert [ln["discount"]["amount"] for ln in cart["lines"]] == ["4.00", "0.00"]
    assert amounts(cart, "subtotal", "discountTotal", "total") == ["44.98", "4.00", "40.98"]
    for bad, message in (
        (past, "expired"),
        (elsewhere, "channel"),
        ("NOPE_" + code, "No promotion"),
    ):
        refused = s.storefront(CART_COUPON, {"cart": cart["id"], "code": bad})["cartCouponApply"]
        assert errors(refused) == [(("code",), "COUPON_INVALID")]
        assert message in refused["userErrors"][0]["message"]
    applied = s.storefront(CART_COUPON, {"cart": cart["id"], "code": code.lower()})[
        "cartCouponApply"
    ]
    assert applied["userErrors"] == []
    got = s.storefront(CART_GET, {"id": cart["id"]})["cart"]
    assert got["couponCodes"] == [code]
    # 10.00 off what is left (35.98 + 5.00 = 40.98), spread by what is left of each line
    assert amounts(got, "subtotal", "discountTotal", "total") == ["44.98", "14.00", "30.98"]
    assert sum(float(ln["discount"]["amount"]) for ln in got["lines"]) == 14.0
    removed = s.storefront(COUPON_REMOVE, {"cart": cart["id"], "code": code})["cartCouponRemove"]
    assert removed["cart"] == {"couponCodes": [], "discountTotal": {"amount": "4.00"}}


def test_checkout_applies_and_counts_promotions_and_a_cancel_keeps_the_use(api: Api) -> None:
    s = shop(api)
    a, b = s.skus
    express = {
        "code": "express",
        "name": "Express",
        "price": "9.90",
        "bands": [{"maxKm": 5000, "minDays": 1, "maxDays": 2}],
    }
    result = api(SETTINGS, {"channel": s.channel, "input": {"deliveryOptions": [express]}})
    assert result["channelOrderSettingsSet"]["userErrors"] == []
    ship = unique("SHIP").replace("-", "_").upper()
    free = created(
        api, kind="FREE_SHIPPING", value="0", channels=[s.channel], couponCode=ship, usageLimit=2
    )
    cart = s.cart([{"sku": a, "quantity": 1}, {"sku": b, "quantity": 2}])
    applied = s.storefront(CART_COUPON, {"cart": cart["id"], "code": ship})["cartCouponApply"]
    assert applied["userErrors"] == []
    options = s.storefront(CART_GET, {"id": cart["id"]})["cart"]["promises"]["deliveryOptions"]
    assert options == [{"code": "express", "price": {"amount": "0.00"}}]  # waived
    done = s.storefront(
        COMPLETE, {"input": {"cartId": cart["id"], "payment": OK, "deliveryOption": "express"}}
    )["cartComplete"]
    assert done["userErrors"] == []
    order = done["order"]
    assert order["couponCodes"] == [ship]
    history = api(HISTORY, {"id": order["id"]})["order"]["history"]
    assert [h["message"] for h in history if h["type"] == "PROMOTION_APPLIED"] == [
        f"Promotion {free['name']!r} (coupon {ship}): 9.90 off."
    ]
    assert amounts(order, "subtotal", "shippingTotal", "discountTotal", "total") == [
        "29.99",
        "9.90",
        "9.90",
        "29.99",
    ]
    [after] = [p for p in listed(api, s.channel) if p["id"] == free["id"]]
    assert after["timesUsed"] == 1
    cancelled = api(CANCEL, {"id": order["id"]})["orderCancel"]
    assert cancelled["userErrors"] == []
    [kept] = [p for p in listed(api, s.channel) if p["id"] == free["id"]]
    assert kept["timesUsed"] == 1  # the shopper did use it


def test_order_place_applies_coupons_and_campaigns_and_orders_filter_by_source(api: Api) -> None:
    s: Shop = shop(api)
    a = s.skus[0]
    campaign = unique("camp").upper()
    spring = created(
        api, kind="LINE_FIXED", value="2.00", channels=[s.channel], sourceCode=campaign, skus=[a]
    )
    once = unique("ONCE").replace("-", "_").upper()
    created(
        api, kind="ORDER_PERCENT", value="50", channels=[s.channel], couponCode=once, usageLimit=1
    )
    base = {
        "channel": s.channel,
        "lines": [{"sku": a, "quantity": 2}],
        "email": "ann@example.com",
        "shippingAddress": PARIS,
        "deliveryOption": "standard",
        "payment": OK,
    }
    plain = api(PLACE, {"input": base})["orderPlace"]
    assert amounts(plain["order"], "discountTotal", "total") == ["0.00", "39.98"]
    placed = api(
        PLACE, {"input": {**base, "sourceCode": campaign.lower(), "couponCodes": [once.lower()]}}
    )["orderPlace"]
    assert placed["userErrors"] == []
    # 2.00 off per unit first (39.98 -> 35.98), then 50 % of what is left: 17.99
    assert [ln["discount"]["amount"] for ln in placed["order"]["lines"]] == ["21.99"]
    assert amounts(placed["order"], "discountTotal", "total") == ["21.99", "17.99"]
    again = api(PLACE, {"input": {**base, "couponCodes": ["x", once]}})["orderPlace"]
    assert sorted(errors(again)) == [
        (("input", "couponCodes", "0"), "COUPON_INVALID"),
        (("input", "couponCodes", "1"), "COUPON_EXHAUSTED"),
    ]
    used = {p["id"]: p["timesUsed"] for p in listed(api, s.channel)}
    assert used[spring["id"]] == 1  # unlimited: counted from the orders that used it
    found = api(ORDERS, {"filter": {"sourceCode": f" {campaign.lower()} ", "channel": s.channel}})
    edges = found["orders"]["edges"]
    assert [e["node"]["number"] for e in edges] == [placed["order"]["number"]]


def test_a_coupon_used_up_meanwhile_refuses_the_checkout_until_it_is_removed(api: Api) -> None:
    s = shop(api)
    code = unique("ONE").replace("-", "_").upper()
    created(
        api, kind="ORDER_PERCENT", value="20", channels=[s.channel], couponCode=code, usageLimit=1
    )
    first, second = (s.cart([{"sku": s.skus[1], "quantity": 1}]) for _ in range(2))
    for cart in (first, second):
        applied = s.storefront(CART_COUPON, {"cart": cart["id"], "code": code})["cartCouponApply"]
        assert applied["userErrors"] == []
    assert s.complete(first["id"])["userErrors"] == []
    again = s.storefront(CART_COUPON, {"cart": second["id"], "code": code})["cartCouponApply"]
    assert errors(again) == [(("code",), "COUPON_EXHAUSTED")]
    refused = s.complete(second["id"])
    assert errors(refused) == [(("input", "cartId"), "COUPON_EXHAUSTED")]
    assert refused["order"] is None
    removed = s.storefront(COUPON_REMOVE, {"cart": second["id"], "code": code.lower()})
    assert removed["cartCouponRemove"]["userErrors"] == []
    placed = s.complete(second["id"])
    assert placed["userErrors"] == []
    assert placed["order"]["total"]["amount"] == "5.00"


CART_TOTALS = """query($id: ID!) { cart(id: $id) { lines { discount { amount } }
  discountTotal { amount } total { amount } } }"""


@pytest.mark.single_execution
def test_a_cart_read_costs_one_promotion_query_however_many_promotions(
    api: Api, client: TestClient
) -> None:
    s = shop(api)
    a, b = s.skus
    cart = s.cart([{"sku": a, "quantity": 1}, {"sku": b, "quantity": 3}])

    def measure() -> tuple[int, int, dict[str, Any]]:
        with counting(client) as statements:
            found = s.storefront(CART_TOTALS, {"id": cart["id"]})["cart"]
        reads = [st for st in statements if "FROM promotions" in st]
        return len(statements), len(reads), found

    created(api, kind="LINE_PERCENT", value="10", channels=[s.channel], skus=[a])
    one, one_reads, first = measure()
    for i in range(20):
        created(api, kind="LINE_FIXED", value="0.01", channels=[s.channel], skus=[b], priority=i)
    many, many_reads, second = measure()
    assert (one_reads, many_reads) == (1, 1)
    assert many == one
    assert first["discountTotal"] != second["discountTotal"]  # the 20 did apply
    created(api, kind="LINE_PERCENT", value="5", channels=[s.channel], categories=["shoes"])
    with_categories, reads, _ = measure()
    print(
        f"cart read: {one} statements with 1 promotion, {many} with 21, {with_categories} with a category one"
    )
    assert reads == 1
    assert with_categories - one <= 2  # the SKUs' categories, and the tree when they have one


CATEGORY = """mutation($i: CategoryInput!) { categoryCreate(input: $i) { userErrors { code } } }"""


def test_a_category_promotion_covers_the_products_of_its_subcategories(api: Api) -> None:
    s = shop(api)
    apparel, shirts = unique("apparel"), unique("shirts")
    for code, parent in ((apparel, None), (shirts, apparel)):
        done = api(CATEGORY, {"i": {"code": code, "name": code, "parent": parent}})
        assert done["categoryCreate"]["userErrors"] == []
    shirt = unique("SHIRT").upper()
    made = api(
        factories.PRODUCT,
        {
            "input": {
                "handle": unique("shirt"),
                "title": "Shirt",
                "category": shirts,
                "variants": [
                    {
                        "sku": shirt,
                        "title": "M",
                        "prices": [{"channel": s.channel, "amount": "30.00"}],
                    }
                ],
            }
        },
    )
    assert made["productCreate"]["userErrors"] == []
    created(api, kind="LINE_PERCENT", value="50", channels=[s.channel], categories=[apparel])
    cart = s.cart([{"sku": shirt, "quantity": 1}, {"sku": s.skus[1], "quantity": 1}])
    assert [ln["discount"]["amount"] for ln in cart["lines"]] == ["15.00", "0.00"]


def test_a_cart_from_a_campaign_gets_its_promotions_and_the_order_carries_the_code(
    api: Api,
) -> None:
    s = shop(api)
    campaign = unique("news").upper()
    created(api, kind="ORDER_PERCENT", value="10", channels=[s.channel], sourceCode=campaign)
    plain = s.cart([{"sku": s.skus[1], "quantity": 2}])
    assert plain["discountTotal"]["amount"] == "0.00"
    cart = s.cart([{"sku": s.skus[1], "quantity": 2}], sourceCode=f" {campaign.lower()}")
    got = s.storefront(
        """query($id: ID!) { cart(id: $id) { sourceCode discountTotal { amount } } }""",
        {"id": cart["id"]},
    )["cart"]
    assert got == {"sourceCode": f" {campaign.lower()}", "discountTotal": {"amount": "1.00"}}
    done = s.complete(cart["id"])
    assert done["userErrors"] == []
    assert done["order"]["sourceCode"] == f" {campaign.lower()}"
    assert done["order"]["total"]["amount"] == "9.00"
    found = api(ORDERS, {"filter": {"sourceCode": campaign, "channel": s.channel}})["orders"]
    assert [e["node"]["number"] for e in found["edges"]] == [done["order"]["number"]]
    bad = s.storefront(
        """mutation($input: CartCreateInput!) { cartCreate(input: $input) {
        userErrors { field code } } }""",
        {"input": {"channel": s.channel, "sourceCode": "x" * 65}},
    )["cartCreate"]
    assert errors(bad) == [(("input", "sourceCode"), "INVALID")]
