"""The ledger through the API: an order's journal trail from authorization to shipment with
exact amounts, the trial balance, pagination, node(id:), and who may read the books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests import factories
from tests.api.floor import Floor, at, floor
from tests.api.test_availability import stock
from tests.api.test_n_plus_one import counting
from tests.conftest import Api, unique

LINES = "lines { account accountNumber debit credit currency }"
TRAIL = f"""query($reference: String, $first: Int, $after: String) {{
  journalEntries(reference: $reference, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ id event reference memo {LINES} }} }} }} }}"""
BALANCE = """query($currency: String!) { trialBalance(currency: $currency) {
  currency totalDebit totalCredit rows { account accountNumber debit credit balance } } }"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on JournalEntry {{ id event {LINES} }} }} }}"""
NODE_ID = "query($id: ID!) { node(id: $id) { id } }"
FINANCE = ["finance:read"]


def trail(api: Api, reference: str) -> list[dict[str, Any]]:
    found = api(TRAIL, {"reference": reference})["journalEntries"]
    return [edge["node"] for edge in found["edges"]]


def sides(entry: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {line["account"]: (line["debit"], line["credit"]) for line in entry["lines"]}


def taxed_floor(api: Api) -> tuple[Floor, str]:
    """The floor's channel with French VAT included in prices, 4.90 delivery, and a SKU at
    19.99 that cost 8.00, 5 in Lille."""
    shop = floor(api)
    taxes = {"pricesIncludeTax": True, "rules": [{"country": "FR", "rate": "0.20"}]}
    option = {
        "code": "standard",
        "name": "Standard",
        "price": "4.90",
        "bands": [{"minDays": 2, "maxDays": 4}],
    }
    shop.settings(taxes=taxes, deliveryOptions=[option])
    sku = unique("COST").upper()
    variant = {"sku": sku, "title": sku, "unitCost": "8.00"}
    variant["prices"] = [{"channel": shop.channel, "amount": "19.99"}]  # type: ignore[assignment]
    handle = unique("p")
    created = api(
        factories.PRODUCT, {"input": {"handle": handle, "title": handle, "variants": [variant]}}
    )
    assert created["productCreate"]["userErrors"] == [], created
    stock(api, sku, {shop.lille: 5})
    return shop, sku


def ship(shop: Floor, order: dict[str, Any]) -> None:
    fid = at(order, shop.lille)
    for name in ("accept", "pick", "pack"):
        assert shop.step(name, fid)["userErrors"] == []
    shipped = shop.step("ship", fid, carrier="UPS", tracking="1Z1")
    assert shipped["userErrors"] == [], shipped


def test_an_order_trail_shows_authorization_shipment_and_capture_with_exact_amounts(
    api: Api,
) -> None:
    shop, sku = taxed_floor(api)
    before = api(BALANCE, {"currency": "EUR"})["trialBalance"]
    order = shop.place([(sku, 2)])
    assert order["total"] == {"amount": "44.88", "currency": "EUR"}
    placed = trail(api, order["number"])
    assert [e["event"] for e in placed] == ["payment.authorized"]
    assert sides(placed[0]) == {
        "AUTHORIZATIONS_OPEN": ("44.88", "0.00"),
        "AUTHORIZATIONS_CONTRA": ("0.00", "44.88"),
    }

    ship(shop, order)
    entries = trail(api, order["number"])
    assert [e["event"] for e in entries] == [
        "payment.authorized",
        "order.shipped",
        "payment.captured",
    ]
    assert all(e["reference"] == order["number"] for e in entries)
    # 39.98 of goods and 4.90 of delivery, VAT included: 6.66 and 0.82 of it is tax.
    assert sides(entries[1]) == {
        "ACCOUNTS_RECEIVABLE": ("44.88", "0.00"),
        "COST_OF_GOODS_SOLD": ("16.00", "0.00"),
        "INVENTORY": ("0.00", "16.00"),
        "SALES_TAX_PAYABLE": ("0.00", "7.48"),
        "SALES_REVENUE": ("0.00", "33.32"),
        "SHIPPING_REVENUE": ("0.00", "4.08"),
    }
    assert [line["accountNumber"] for line in entries[1]["lines"]] == [
        "1200",
        "5000",
        "1300",
        "2100",
        "4000",
        "4100",
    ]
    assert sides(entries[2]) == {
        "PAYMENT_CLEARING": ("44.88", "0.00"),
        "AUTHORIZATIONS_CONTRA": ("44.88", "0.00"),
        "ACCOUNTS_RECEIVABLE": ("0.00", "44.88"),
        "AUTHORIZATIONS_OPEN": ("0.00", "44.88"),
    }

    after = api(BALANCE, {"currency": "EUR"})["trialBalance"]
    assert after["totalDebit"] == after["totalCredit"]
    # Sums are shown on the currency's grid like every amount, not with the column's padding.
    shown = [after["totalDebit"]] + [row["debit"] for row in after["rows"]]
    assert all(len(amount.rpartition(".")[2]) == 2 for amount in shown), shown
    moved = {
        row["account"]: Decimal(row["balance"]) for row in after["rows"]
    }  # other tests post too: compare the change
    was = {row["account"]: Decimal(row["balance"]) for row in before["rows"]}
    change = {a: moved[a] - was.get(a, Decimal(0)) for a in moved}
    assert change["PAYMENT_CLEARING"] == Decimal("44.88")
    assert change["SALES_REVENUE"] == Decimal("-33.32")
    assert change["AUTHORIZATIONS_OPEN"] == 0


def test_cancelling_before_shipment_releases_the_authorization_and_refusals_post_nothing(
    api: Api,
) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    refused = shop.care("appease", id=order["id"], amount="1.00", reason="late")
    assert refused["userErrors"][0]["field"] == ["amount"]  # nothing captured yet
    assert [e["event"] for e in trail(api, order["number"])] == ["payment.authorized"]
    assert shop.care("cancel", id=order["id"], reason="changed my mind")["userErrors"] == []
    entries = trail(api, order["number"])
    assert [e["event"] for e in entries] == ["payment.authorized", "payment.voided"]
    assert sides(entries[1]) == {
        "AUTHORIZATIONS_CONTRA": ("19.99", "0.00"),
        "AUTHORIZATIONS_OPEN": ("0.00", "19.99"),
    }
    again = shop.care("cancel", id=order["id"], reason="twice")
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert len(trail(api, order["number"])) == 2


def test_an_appeasement_after_shipment_is_paid_back_through_clearing(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    fid = at(order, shop.lille)
    for name in ("accept", "pick", "pack"):
        assert shop.step(name, fid)["userErrors"] == []
    assert shop.step("ship", fid, carrier="UPS", tracking="1Z2")["userErrors"] == []
    result = shop.care("appease", id=order["id"], amount="3.00", reason="scratched box")
    assert result["userErrors"] == []
    entries = trail(api, order["number"])
    assert [e["event"] for e in entries][-1] == "appeasement"
    assert entries[-1]["memo"] == "scratched box"
    assert sides(entries[-1]) == {
        "APPEASEMENTS": ("3.00", "0.00"),
        "PAYMENT_CLEARING": ("0.00", "3.00"),
    }


def test_pages_continue_after_the_cursor_and_node_reads_an_entry(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    assert shop.care("cancel", id=order["id"], reason="no")["userErrors"] == []
    first = api(TRAIL, {"reference": order["number"], "first": 1})["journalEntries"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    rest = api(
        TRAIL, {"reference": order["number"], "first": 1, "after": first["pageInfo"]["endCursor"]}
    )["journalEntries"]
    assert [e["node"]["event"] for e in first["edges"] + rest["edges"]] == [
        "payment.authorized",
        "payment.voided",
    ]
    assert rest["pageInfo"]["hasNextPage"] is False
    every = api(TRAIL, {"first": 100})["journalEntries"]
    assert every["totalCount"] >= 2
    ids = [e["node"]["id"] for e in every["edges"]]
    assert len(set(ids)) == len(ids)
    entry = first["edges"][0]["node"]
    assert api(NODE, {"id": entry["id"]})["node"] == {
        "id": entry["id"],
        "event": "payment.authorized",
        "lines": entry["lines"],
    }
    malformed = api.raw(TRAIL, {"after": "nonsense"})
    assert malformed["errors"][0]["extensions"]["code"] == "INVALID"
    bad = api.raw(BALANCE, {"currency": "euro"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"


def test_only_unbound_finance_tokens_read_the_books(api: Api) -> None:
    shop = floor(api)
    order = shop.place([(shop.skus[0], 1)])
    entry_id = trail(api, order["number"])[0]["id"]
    finance = shop.token("admin", FINANCE)
    assert [e["event"] for e in trail(finance, order["number"])] == ["payment.authorized"]
    assert finance(BALANCE, {"currency": "EUR"})["trialBalance"]["currency"] == "EUR"
    assert finance(NODE, {"id": entry_id})["node"]["id"] == entry_id

    refused = {
        "storefront": shop.token("storefront", ["orders:write"], channel=shop.channel),
        "partner": shop.token("partner", ["orders:read"], channel=shop.channel),
        "orders admin": shop.token("admin", ["orders:read", "orders:write"]),
        "channel-bound finance": shop.token("admin", FINANCE, channel=shop.channel),
        "anonymous": api.as_token(None),
    }
    for who, caller in refused.items():
        for document, variables in ((TRAIL, {"reference": order["number"]}), (BALANCE, {})):
            body = caller.raw(document, {"currency": "EUR", **variables})
            codes = {e["extensions"]["code"] for e in body.get("errors", [])}
            assert codes & {"FORBIDDEN", "UNAUTHENTICATED"}, (who, body)
            assert not body.get("data"), (who, body)
        if who != "anonymous":
            # Asking for its fields is refused outright; asking for the node alone, it does
            # not exist for this token.
            assert caller.raw(NODE, {"id": entry_id})["errors"][0]["extensions"]["code"] == (
                "FORBIDDEN"
            )
            assert caller(NODE_ID, {"id": entry_id})["node"] is None, who


@pytest.mark.single_execution
def test_a_page_of_entries_with_their_lines_is_one_statement(api: Api, client: TestClient) -> None:
    shop = floor(api, {"0": {"lille": 60}})
    for _ in range(30):  # 30 orders, 2 entries each: at least 60 entries
        order = shop.place([(shop.skus[0], 1)])
        assert shop.care("cancel", id=order["id"], reason="test")["userErrors"] == []
    counts = {}
    for first in (5, 50):
        with counting(client) as statements:
            found = api(TRAIL, {"first": first})["journalEntries"]
        assert len(found["edges"]) == first
        # Lines come with the page (other tests also post entries without lines, e.g. an
        # authorization of nothing, and the page is the oldest entries of the whole book).
        assert any(edge["node"]["lines"] for edge in found["edges"])
        counts[first] = len(statements)
    print(f"SQL statements for journalEntries(first: 5) = {counts[5]}, (first: 50) = {counts[50]}")
    assert counts[5] == counts[50] == 2  # the page with its lines, and totalCount
