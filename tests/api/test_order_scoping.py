"""Who sees which carts, orders and customers: channel-bound, customer-bound and
location-bound tokens, at every entry point (queries, node(id:), mutations)."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.api.shop import (
    CART_LINES_ADD,
    CART_QUERY,
    ORDER,
    ORDER_QUERY,
    ORDERS,
    PARIS,
    SHOPPER,
    TOKEN_FIELDS,
    Shop,
    shop,
)
from tests.conftest import Api, unique

NODE = "query($id: ID!) { node(id: $id) { id } }"
CUSTOMER = "query($email: String!) { customer(email: $email) { email orders { totalCount } } }"
MINE = f"query($id: ID) {{ order(id: $id) {{ {ORDER} {SHOPPER} }} }}"


def customer_token(api: Api, email: str, **binding: str) -> Api:
    scopes = ["orders:read", "catalog:read"]
    return api.as_token(factories.token(api, "customer", scopes, customer=email, **binding))


def placed(s: Shop, email: str) -> dict[str, Any]:
    cart = s.cart([{"sku": s.skus[1], "quantity": 1}], customerEmail=email)
    result = s.complete(cart["id"])
    assert result["userErrors"] == []
    order: dict[str, Any] = result["order"]
    return order


def test_another_channels_cart_and_order_do_not_exist_for_a_channel_token(api: Api) -> None:
    ours, theirs = shop(api), shop(api)
    cart = theirs.cart([{"sku": theirs.skus[0], "quantity": 1}])
    order = placed(theirs, f"{unique('x')}@example.com")
    assert ours.storefront(CART_QUERY, {"id": cart["id"]})["cart"] is None
    assert ours.storefront(NODE, {"id": cart["id"]})["node"] is None
    edit = ours.storefront(
        CART_LINES_ADD, {"cart": cart["id"], "lines": [{"sku": theirs.skus[0], "quantity": 1}]}
    )["cartLinesAdd"]
    assert [(e["field"], e["code"]) for e in edit["userErrors"]] == [(["cartId"], "NOT_FOUND")]
    checkout = ours.complete(cart["id"])
    assert [(e["field"], e["code"]) for e in checkout["userErrors"]] == [
        (["input", "cartId"], "NOT_FOUND")
    ]
    reader = api.as_token(
        factories.token(api, "partner", ["orders:read", "catalog:read"], channel=ours.channel)
    )
    assert reader(ORDER_QUERY.replace(SHOPPER, ""), {"id": order["id"]})["order"] is None
    assert reader(NODE, {"id": order["id"]})["node"] is None
    assert reader(NODE, {"id": order["fulfillments"][0]["id"]})["node"] is None
    listed = reader(ORDERS, {"filter": {"channel": theirs.channel}})["orders"]
    assert listed["totalCount"] == 0
    own = placed(ours, f"{unique('y')}@example.com")
    mine = reader(ORDERS, {})["orders"]["edges"]
    assert [e["node"]["number"] for e in mine] == [own["number"]]


def test_a_customer_token_sees_only_its_own_orders_carts_and_customer(api: Api) -> None:
    s = shop(api)
    ann, bob = f"{unique('ann')}@example.com", f"{unique('bob')}@example.com"
    anns, bobs = placed(s, ann), placed(s, bob)
    as_ann = customer_token(api, ann.upper())  # bound to the normalized address
    found = as_ann(MINE, {"id": anns["id"]})["order"]
    assert found["email"] == ann
    assert found["payments"][0]["status"] == "AUTHORIZED"
    assert as_ann(MINE, {"id": bobs["id"]})["order"] is None
    assert as_ann(NODE, {"id": bobs["id"]})["node"] is None
    assert [e["node"]["number"] for e in as_ann(ORDERS, {})["orders"]["edges"]] == [anns["number"]]
    assert as_ann(CUSTOMER, {"email": ann})["customer"] == {
        "email": ann,
        "orders": {"totalCount": 1},
    }
    assert as_ann(CUSTOMER, {"email": bob})["customer"] is None
    bobs_cart = s.cart([{"sku": s.skus[1], "quantity": 1}], customerEmail=bob)
    assert as_ann(CART_QUERY, {"id": bobs_cart["id"]})["cart"] is None
    # Not the shopper's data to a token without customers:read.
    refused = s.storefront.raw(MINE, {"id": anns["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_customer_token_places_its_own_cart_and_no_one_elses(api: Api) -> None:
    s = shop(api)
    ann = f"{unique('ann')}@example.com"
    as_ann = customer_token(api, ann)
    created = as_ann(
        """mutation($input: CartCreateInput!) { cartCreate(input: $input) {
          cart { id email } userErrors { field code } } }""",
        {"input": {"channel": s.channel, "lines": [{"sku": s.skus[1], "quantity": 1}]}},
    )["cartCreate"]
    assert created["cart"]["email"] == ann
    other = as_ann(
        """mutation($input: CartCreateInput!) { cartCreate(input: $input) {
          cart { id } userErrors { field code } } }""",
        {"input": {"channel": s.channel, "customerEmail": "bob@example.com"}},
    )["cartCreate"]
    assert other["userErrors"] == [{"field": ["input", "customerEmail"], "code": "FORBIDDEN"}]
    as_ann(
        """mutation($cart: ID!, $a: AddressInput!) { cartShippingAddressSet(cartId: $cart,
          address: $a) { userErrors { code } } }""",
        {"cart": created["cart"]["id"], "a": PARIS},
    )
    result = s.complete(created["cart"]["id"], as_=as_ann)
    assert result["userErrors"] == []
    assert as_ann(MINE, {"id": result["order"]["id"]})["order"]["email"] == ann


def test_customer_tokens_are_bound_to_one_shopper_and_mint_no_wider(api: Api) -> None:
    create = f"""mutation($input: ApiTokenInput!) {{ apiTokenCreate(input: $input) {{
      token {{ {TOKEN_FIELDS} }} userErrors {{ field code }} }} }}"""
    unbound = api(create, {"input": {"name": "c", "kind": "customer", "scopes": ["orders:read"]}})[
        "apiTokenCreate"
    ]
    assert unbound["userErrors"] == [{"field": ["input", "customer"], "code": "INVALID"}]
    wrong_kind = api(
        create,
        {
            "input": {
                "name": "s",
                "kind": "admin",
                "scopes": ["orders:read"],
                "customer": "a@example.com",
            }
        },
    )["apiTokenCreate"]
    assert wrong_kind["userErrors"] == [{"field": ["input", "customer"], "code": "INVALID"}]
    bound = api(
        create,
        {
            "input": {
                "name": "c",
                "kind": "customer",
                "scopes": ["orders:read"],
                "customer": " Ann@Example.com ",
            }
        },
    )["apiTokenCreate"]
    assert bound["token"]["customer"] == "ann@example.com"


def test_a_location_token_sees_orders_with_work_at_its_location_only(api: Api) -> None:
    s = shop(api)
    order = placed(s, f"{unique('l')}@example.com")  # ships from the warehouse
    [work] = order["fulfillments"]
    here = work["location"]["code"]
    elsewhere = s.store if here == s.warehouse else s.warehouse
    staff = api.as_token(
        factories.token(api, "partner", ["orders:read", "catalog:read"], location=here)
    )
    other = api.as_token(
        factories.token(api, "partner", ["orders:read", "catalog:read"], location=elsewhere)
    )
    query = ORDER_QUERY.replace(SHOPPER, "")
    assert staff(query, {"id": order["id"]})["order"]["fulfillments"] == order["fulfillments"]
    assert staff(NODE, {"id": work["id"]})["node"] == {"id": work["id"]}
    assert other(query, {"id": order["id"]})["order"] is None
    assert other(NODE, {"id": work["id"]})["node"] is None
    numbers = [e["node"]["number"] for e in staff(ORDERS, {"first": 100})["orders"]["edges"]]
    assert order["number"] in numbers
    assert order["number"] not in [
        e["node"]["number"] for e in other(ORDERS, {"first": 100})["orders"]["edges"]
    ]
