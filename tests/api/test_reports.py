"""Reports through the API on both databases: a handful of orders placed, shipped,
cancelled, left short and left open through the API, then every report's exact figures,
the bindings (channel, location, customer) and bad input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from persistence.tables import fulfillments, order_lines, orders
from resolvers.ids import parse_global_id
from tests import factories
from tests.api.floor import ORDER, Floor, at, floor
from tests.conftest import Api

ERRORS = "userErrors { field code message }"
PLACE = f"""mutation($input: OrderPlaceInput!) {{
  orderPlace(input: $input) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
MONEY = "{ amount currency }"
SALES = f"""query($from: DateTime!, $to: DateTime!, $channel: String, $source: String,
    $by: [SalesDimension!]) {{
  salesReport(from: $from, to: $to, channel: $channel, sourceCode: $source, groupBy: $by) {{
    truncated rows {{ day channel sourceCode currency orders cancelledOrders
      subtotal {MONEY} discountTotal {MONEY} shippingTotal {MONEY} taxTotal {MONEY}
      total {MONEY} cancelledTotal {MONEY} netTotal {MONEY} averageOrderValue {MONEY} }} }} }}"""
RETURNS = """query($from: DateTime!, $to: DateTime!, $channel: String, $min: Int! = 1) {
  returnsRateReport(from: $from, to: $to, channel: $channel, minUnitsShipped: $min) {
    rows { sku unitsShipped unitsReturned returnsRate } } }"""
FILL = """query($from: DateTime!, $to: DateTime!, $channel: String) {
  fillRateReport(from: $from, to: $to, channel: $channel) {
    rows { channel orders unitsOrdered unitsShipped unitsCancelled unitsUnfilled unitsOpen
      ordersShort fillRate orderFillRate } } }"""
SHIPMENT = """query($from: DateTime!, $to: DateTime!, $channel: String, $location: String) {
  orderToShipmentReport(from: $from, to: $to, channel: $channel, location: $location) {
    rows { location method fulfillments averageSeconds maxSeconds } } }"""
AT_RISK = """query($channel: String, $within: Int! = 24, $stuck: Int! = 1440) {
  ordersAtRisk(channel: $channel, withinHours: $within, stuckForMinutes: $stuck) {
    orderId number channel status promisedBy reason } }"""


def key(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


class Books:
    """The orders of one channel and what was done to them."""

    def __init__(self, api: Api, client: TestClient) -> None:
        self.client = client
        self.shop: Floor = floor(api, {"0": {"lille": 10, "lyon": 5}, "1": {"lille": 10}})
        s = self.shop
        self.start = datetime.now(UTC) - timedelta(minutes=5)
        sku0, sku1 = s.skus
        # A: shipped whole from Lille; one unit of sku0 comes back later.
        self.a = self.place([(sku0, 2), (sku1, 1)], source="web")
        fid = at(self.a, s.lille)
        for step in ("accept", "pick", "pack"):
            assert s.step(step, fid)["userErrors"] == []
        assert s.step("ship", fid, carrier="UPS", tracking="1Z")["userErrors"] == []
        # B: cancelled by customer care.
        self.b = self.place([(sku0, 1)], source="web")
        assert s.care("cancel", id=self.b["id"], reason="changed mind")["userErrors"] == []
        # C: nobody can send it (only Lille has sku1, and Lille refuses): unfilled.
        self.c = self.place([(sku1, 2)], source="mail")
        assert s.step("reject", at(self.c, s.lille), reason="damaged")["userErrors"] == []
        # D: open, promised the standard option's date; E: a marketplace order shipped
        # without an option of ours (promised nothing), open.
        self.d = self.place([(sku0, 1)])
        self.e = self.place([(sku0, 1)], option=False)
        self.end = datetime.now(UTC) + timedelta(minutes=5)
        self.run(self._aftermath)

    def place(
        self, lines: list[tuple[str, int]], source: str | None = None, option: bool = True
    ) -> dict[str, Any]:
        s = self.shop
        data: dict[str, Any] = {
            "channel": s.channel,
            "lines": [{"sku": sku, "quantity": n} for sku, n in lines],
            "email": "ann@example.com",
            "shippingAddress": {
                "line1": "10 rue de la Paix",
                "city": "Paris",
                "postalCode": "75002",
                "country": "FR",
                "geo": {"latitude": 48.8686, "longitude": 2.3314},
            },
        }
        if source is not None:
            data["sourceCode"] = source
        if option:
            data.update(deliveryOption="standard", payment={"gateway": "test", "token": "tok_ok"})
        result = s.api(PLACE, {"input": data})["orderPlace"]
        assert result["userErrors"] == [], result
        order: dict[str, Any] = result["order"]
        return order

    def run(self, work: Callable[[Any], Awaitable[None]]) -> None:
        services = self.client.app.state.services  # type: ignore[attr-defined]

        async def call() -> None:
            async with services.db.engine.begin() as conn:
                await work(conn)

        portal = self.client.portal
        assert portal is not None
        portal.call(call)

    async def _aftermath(self, conn: Any) -> None:
        """What other parts of the system record: a return (maintained by returns), and
        the parcel leaving exactly three hours after the order was placed."""
        a = key(self.a["id"])
        await conn.execute(
            update(order_lines)
            .where(order_lines.c.order_id == a, order_lines.c.sku == self.shop.skus[0])
            .values(quantity_returned=1)
        )
        placed = (await conn.execute(select(orders.c.created_at).where(orders.c.id == a))).scalar()
        await conn.execute(
            update(fulfillments)
            .where(fulfillments.c.order_id == a, fulfillments.c.status == "SHIPPED")
            .values(updated_at=placed + timedelta(hours=3))
        )

    def span(self, **extra: Any) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "channel": self.shop.channel,
            **extra,
        }


@pytest.fixture(scope="module")
def books(api: Api, client: TestClient) -> Books:
    return Books(api, client)


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def test_sales_by_source_code_add_up_what_was_booked(books: Books, api: Api) -> None:
    found = api(SALES, books.span(by=["SOURCE_CODE"]))["salesReport"]
    assert found["truncated"] is False
    rows = {r["sourceCode"]: r for r in found["rows"]}
    assert list(rows) == ["mail", "web", None]  # orders without a code last, on both DBs
    web = rows["web"]
    assert (web["day"], web["channel"], web["currency"]) == (None, None, "EUR")
    assert (web["orders"], web["cancelledOrders"]) == (2, 1)
    assert web["subtotal"] == web["total"] == money("64.97")  # 2 x 19.99 + 5.00 + 19.99
    assert web["discountTotal"] == web["shippingTotal"] == web["taxTotal"] == money("0.00")
    assert web["cancelledTotal"] == money("19.99")
    assert web["netTotal"] == web["averageOrderValue"] == money("44.98")
    mail = rows["mail"]
    assert (mail["orders"], mail["cancelledOrders"], mail["total"], mail["netTotal"]) == (
        1,
        1,
        money("10.00"),
        money("0.00"),
    )
    assert mail["averageOrderValue"] is None
    assert (rows[None]["orders"], rows[None]["total"]) == (2, money("39.98"))


def test_sales_by_day_and_channel_and_a_source_filter(books: Books, api: Api) -> None:
    rows = api(SALES, books.span(by=["DAY", "CHANNEL"]))["salesReport"]["rows"]
    days = {datetime.fromisoformat(r["day"]).date() for r in rows}
    assert days <= {books.start.date(), books.end.date()}
    assert {r["channel"] for r in rows} == {books.shop.channel}
    assert sum(r["orders"] for r in rows) == 5
    assert sum(float(r["total"]["amount"]) for r in rows) == pytest.approx(114.95)
    [web] = api(SALES, books.span(source="web", by=["CHANNEL"]))["salesReport"]["rows"]
    assert (web["channel"], web["sourceCode"], web["orders"]) == (books.shop.channel, None, 2)
    # The default grouping: day, channel and source code.
    rows = api(SALES, books.span())["salesReport"]["rows"]
    assert {(r["channel"], r["sourceCode"]) for r in rows} == {
        (books.shop.channel, "web"),
        (books.shop.channel, "mail"),
        (books.shop.channel, None),
    }
    # Before the orders were placed there is nothing.
    earlier = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    assert api(SALES, {**books.span(), **earlier})["salesReport"]["rows"] == []


def test_returns_rate_by_sku(books: Books, api: Api) -> None:
    sku0, sku1 = books.shop.skus
    rows = api(RETURNS, books.span())["returnsRateReport"]["rows"]
    assert rows == [
        {"sku": sku0, "unitsShipped": 2, "unitsReturned": 1, "returnsRate": "0.5000"},
        {"sku": sku1, "unitsShipped": 1, "unitsReturned": 0, "returnsRate": "0.0000"},
    ]
    rows = api(RETURNS, books.span(min=2))["returnsRateReport"]["rows"]
    assert [r["sku"] for r in rows] == [sku0]


def test_fill_rate_leaves_shopper_cancellations_and_open_units_out(books: Books, api: Api) -> None:
    [row] = api(FILL, books.span())["fillRateReport"]["rows"]
    assert row == {
        "channel": books.shop.channel,
        "orders": 5,
        "unitsOrdered": 8,
        "unitsShipped": 3,
        "unitsCancelled": 3,  # B's unit (care) and C's two (nobody could send them)
        "unitsUnfilled": 2,
        "unitsOpen": 2,
        "ordersShort": 1,
        "fillRate": "0.6000",  # 3 / (3 + 2)
        "orderFillRate": "0.8000",
    }


def test_order_to_shipment_per_location(books: Books, api: Api) -> None:
    rows = api(SHIPMENT, books.span())["orderToShipmentReport"]["rows"]
    assert rows == [
        {
            "location": books.shop.lille,
            "method": "SHIP",
            "fulfillments": 1,
            "averageSeconds": 3 * 3600,
            "maxSeconds": 3 * 3600,
        }
    ]


def test_lines_and_fulfillments_carry_their_orders_placement_time_and_channel(
    api: Api, client: TestClient
) -> None:
    """The line and fulfillment reports read the order's placement time and channel from
    the lines and fulfillments themselves (migration 0012): copied at placement and on a
    fulfillment re-sourcing adds later, equal to the order's."""
    mine = Books(api, client)
    s = mine.shop
    order = mine.place([(s.skus[0], 1)])
    [first] = order["fulfillments"]
    assert s.step("reject", first["id"], reason="damaged")["userErrors"] == []
    o, ln, f = orders.c, order_lines.c, fulfillments.c
    found: dict[str, Any] = {}

    async def read(conn: Any) -> None:
        channel = select(o.channel_id).where(o.id == key(order["id"])).scalar_subquery()
        for name, table, c in (("lines", order_lines, ln), ("fulfillments", fulfillments, f)):
            query = (
                select(c.order_id, c.placed_at, c.channel_id, o.created_at, o.channel_id)
                .select_from(table.join(orders, o.id == c.order_id))
                .where(o.channel_id == channel)
            )
            found[name] = [tuple(r) for r in await conn.execute(query)]

    mine.run(read)
    assert len({r[0] for r in found["lines"]}) == 6  # the five orders of Books and this one
    assert [r for r in found["fulfillments"] if r[0] == key(order["id"])][1:], "re-sourced"
    for rows in found.values():
        for _order, placed_at, channel_id, created_at, order_channel in rows:
            assert (placed_at, channel_id) == (created_at, order_channel)


def test_orders_at_risk_by_promise_and_by_sla(books: Books, api: Api) -> None:
    s = books.shop
    # D is promised days away (the standard option), E promised nothing and just placed.
    assert api(AT_RISK, {"channel": s.channel, "within": 0})["ordersAtRisk"] == []
    found = api(AT_RISK, {"channel": s.channel, "within": 720, "stuck": 0})["ordersAtRisk"]
    assert [(r["number"], r["reason"]) for r in found] == [
        (books.d["number"], "DUE_SOON"),
        (books.e["number"], "STUCK"),
    ]
    assert found[0]["orderId"] == books.d["id"]
    assert found[0]["status"] == s.order(books.d["id"])["status"]  # type: ignore[index]
    assert datetime.fromisoformat(found[0]["promisedBy"]) > datetime.now(UTC) + timedelta(days=1)
    assert found[1]["promisedBy"] is None

    # Time passes: D's promised date is behind us.
    async def late(conn: Any) -> None:
        past = datetime.now(UTC) - timedelta(hours=1)
        await conn.execute(
            update(orders).where(orders.c.id == key(books.d["id"])).values(promised_by=past)
        )

    books.run(late)
    found = api(AT_RISK, {"channel": s.channel, "within": 0})["ordersAtRisk"]
    assert [(r["number"], r["reason"]) for r in found] == [(books.d["number"], "LATE")]


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_a_channel_bound_token_reads_its_own_channel_only(books: Books, api: Api) -> None:
    s = books.shop
    bound = s.token("admin", ["finance:read", "orders:read"], channel=s.channel)
    span = {k: v for k, v in books.span(by=["CHANNEL"]).items() if k != "channel"}
    [row] = bound(SALES, span)["salesReport"]["rows"]
    assert (row["channel"], row["orders"]) == (s.channel, 5)
    assert bound(FILL, span)["fillRateReport"]["rows"][0]["orders"] == 5
    other = factories.channel(api, currency="EUR")
    for document in (SALES, RETURNS, FILL, SHIPMENT, AT_RISK):
        assert codes(bound.raw(document, {**books.span(), "channel": other})) == ["FORBIDDEN"]


def test_a_location_bound_token_reads_its_own_fulfillment_figures_only(books: Books) -> None:
    s = books.shop
    lille = s.token("partner", ["fulfillment:write", "orders:read"], location=s.lille)
    rows = lille(SHIPMENT, books.span())["orderToShipmentReport"]["rows"]
    assert [r["location"] for r in rows] == [s.lille]
    assert codes(lille.raw(SHIPMENT, books.span(location=s.lyon))) == ["FORBIDDEN"]
    found = lille(AT_RISK, {"channel": s.channel, "within": 720, "stuck": 0})["ordersAtRisk"]
    assert {r["number"] for r in found} == {books.d["number"], books.e["number"]}
    lyon = s.token("partner", ["fulfillment:write", "orders:read"], location=s.lyon)
    assert lyon(SHIPMENT, books.span())["orderToShipmentReport"]["rows"] == []
    assert lyon(AT_RISK, {"channel": s.channel, "stuck": 0})["ordersAtRisk"] == []
    # Sales, returns and fill rate add up every location's orders: refused.
    finance_at_lille = s.token("admin", ["finance:read", "orders:read"], location=s.lille)
    for document in (SALES, RETURNS, FILL):
        assert codes(finance_at_lille.raw(document, books.span())) == ["FORBIDDEN"]


def test_reports_need_their_scopes_and_are_not_for_shoppers(books: Books, api: Api) -> None:
    s = books.shop
    reader = s.token("admin", ["orders:read"])
    assert codes(reader.raw(SALES, books.span())) == ["FORBIDDEN"]
    assert codes(reader.raw(RETURNS, books.span())) == ["FORBIDDEN"]
    assert reader(FILL, books.span())["fillRateReport"]["rows"][0]["orders"] == 5
    shopper = s.token("customer", ["orders:read"], customer="ann@example.com")
    for document in (FILL, SHIPMENT):
        assert codes(shopper.raw(document, books.span())) == ["FORBIDDEN"]
    assert codes(shopper.raw(AT_RISK, {"channel": s.channel})) == ["FORBIDDEN"]
    storefront = s.token("storefront", ["orders:write"], channel=s.channel)
    assert codes(storefront.raw(FILL, books.span())) == ["FORBIDDEN"]
    assert codes(api.as_token(None).raw(AT_RISK, {})) == ["UNAUTHENTICATED"]


def test_bad_ranges_limits_and_unknown_channels_are_refused(books: Books, api: Api) -> None:
    span = books.span()
    backwards = {**span, "from": span["to"], "to": span["from"]}
    assert codes(api.raw(SALES, backwards)) == ["INVALID"]
    too_long = {**span, "from": "2020-01-01T00:00:00Z", "to": "2021-06-01T00:00:00Z"}
    for document in (SALES, RETURNS, FILL, SHIPMENT):
        assert codes(api.raw(document, too_long)) == ["INVALID"]
    assert codes(api.raw(FILL, {**span, "channel": "no-such-channel"})) == ["NOT_FOUND"]
    assert codes(api.raw(SHIPMENT, {**span, "location": "no-such-place"})) == ["NOT_FOUND"]
    assert codes(api.raw(RETURNS, {**span, "min": 0})) == ["INVALID"]
    assert codes(api.raw(AT_RISK, {"within": -1})) == ["INVALID"]
