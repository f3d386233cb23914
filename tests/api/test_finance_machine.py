"""The books through the API: random orders, partial shipments, cancellations, returns,
exchanges, refunds and appeasements, with the books and the stock checked after every step.

A hypothesis state machine drives the real server (HTTP through the test client, the
database under test). After every step:
- the trial balance balances (total debits == total credits);
- per order, captured - refunded at the gateway equals the order's net movement on
  PAYMENT_CLEARING in its journal trail (the cash the books say moved);
- no line has more returned than shipped;
- every position's onHand equals what this model computes from the movements it caused
  (counted stock - shipped + restocked), allocated equals what is still open, and onHand
  equals the sum of the position's movements in the movement journal (read from the
  database).
Each example builds its own channel and locations, so the shop's figures are its own.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.tables import inventory_movements, inventory_positions, locations, variants
from tests.api.floor import Floor, floor
from tests.conftest import Api

ERRORS = "userErrors { field code message }"
RETURN = """id status refund { amount } exchangeOrder { id number }
  lines { orderLineId sku quantity reason disposition }"""
RETURN_CREATE = f"""mutation($input: ReturnCreateInput!) {{
  returnCreate(input: $input) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
RETURN_RECEIVE = f"""mutation($id: ID!, $location: String!, $lines: [ReturnReceiveLineInput!]!) {{
  returnReceive(id: $id, location: $location, lines: $lines) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
RETURN_REFUND = f"""mutation($id: ID!) {{
  returnRefund(id: $id) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
BOOKS = """query($number: String!) {
  trialBalance(currency: "EUR") { totalDebit totalCredit }
  journalEntries(reference: $number, first: 100) {
    edges { node { event lines { account debit credit currency } } } } }"""
ORDER = """query($id: ID) { order(id: $id) { id number status sourceCode
  lines { id sku quantity quantityCancelled quantityShipped quantityReturned }
  fulfillments { id status location { code } lines { orderLineId sku quantity } }
  payments { status captured { amount } refunded { amount } } } }"""
POSITIONS = """query($sku: String) { inventoryPositions(sku: $sku) {
  edges { node { location { code } onHand allocated } } } }"""

MAX_EXAMPLES = int(os.environ.get("ORCHESTRA_FINANCE_EXAMPLES", "8"))
STEPS = 24
# What the runs did, over all examples: a machine whose steps were all refused would prove
# nothing, so the test requires each kind of step to have happened.
DONE: Counter[str] = Counter()


def journal_recompute(database_url: str, skus: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(onHand, the sum of the movement journal's deltas) per position of these SKUs, read
    from the database: every change to onHand is a movement, so the two must agree."""

    async def read() -> dict[tuple[str, str], tuple[int, int]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(
                        variants.c.sku,
                        locations.c.code,
                        inventory_positions.c.on_hand,
                        select(func.coalesce(func.sum(inventory_movements.c.delta), 0))
                        .where(
                            inventory_movements.c.variant_id == inventory_positions.c.variant_id,
                            inventory_movements.c.location_id == inventory_positions.c.location_id,
                        )
                        .scalar_subquery(),
                    )
                    .join(variants, variants.c.id == inventory_positions.c.variant_id)
                    .join(locations, locations.c.id == inventory_positions.c.location_id)
                    .where(variants.c.sku.in_(skus))
                )
                return {
                    (sku, code): (int(on_hand), int(moved)) for sku, code, on_hand, moved in rows
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


class Books(RuleBasedStateMachine):
    api: Api  # set by the test before the machine runs
    database_url: str

    def __init__(self) -> None:
        super().__init__()
        self.shop: Floor | None = None
        self.orders: list[str] = []  # order ids, placed by this example
        self.returns: dict[str, dict[str, Any]] = {}  # return id -> {order, status, lines}
        # What stock this example expects: counted, minus shipped, plus restocked.
        self.on_hand: dict[tuple[str, str], int] = {}

    @property
    def floor(self) -> Floor:
        assert self.shop is not None
        return self.shop

    @initialize()
    def open_shop(self) -> None:
        counts = {"0": {"lille": 30, "lyon": 30}, "1": {"lille": 30, "store": 30}}
        self.shop = floor(self.api, counts)
        roles = {"lille": self.shop.lille, "lyon": self.shop.lyon, "store": self.shop.store}
        for index, per_role in counts.items():
            for role, n in per_role.items():
                self.on_hand[(self.shop.skus[int(index)], roles[role])] = n

    # ------------------------------------------------------------------ reads

    def order(self, order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api(ORDER, {"id": order_id})["order"]
        assert found is not None
        return found

    def follow_exchange(self, found: dict[str, Any]) -> None:
        """An exchange's replacement order is an order like any other from now on."""
        exchange = found.get("exchangeOrder")
        if exchange is not None and exchange["id"] not in self.orders:
            self.orders.append(exchange["id"])

    # ------------------------------------------------------------------ steps

    @rule(
        lines=st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 3)),
            min_size=1,
            max_size=2,
            unique_by=lambda t: t[0],
        ),
        ship_now=st.booleans(),
    )
    def place(self, lines: list[tuple[int, int]], ship_now: bool) -> None:
        order = self.floor.place([(self.floor.skus[i], n) for i, n in lines])
        self.orders.append(order["id"])
        DONE["placed"] += 1
        if ship_now:  # most orders ship before anything else happens to them
            for _ in order["fulfillments"]:
                self.ship(order["id"], 0)

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 1_000))
    def ship_one_fulfillment(self, pick: int) -> None:
        self.ship(self.orders[pick % len(self.orders)], pick)

    def ship(self, order_id: str, pick: int) -> None:
        """Ship one of the order's parcels still waiting (a partial shipment when it has
        several)."""
        order = self.order(order_id)
        open_ = [f for f in order["fulfillments"] if f["status"] in ("ASSIGNED", "ACCEPTED")]
        if not open_:
            return
        if order["status"] == "ON_HOLD":  # an exchange waiting for the returned goods
            refused = self.floor.step("ship", open_[0]["id"], carrier="UPS", tracking="1Z")
            assert [e["code"] for e in refused["userErrors"]] == ["INVALID_TRANSITION"]
            DONE["held exchange not shipped"] += 1
            return
        fulfillment = open_[pick % len(open_)]
        for step in ("accept", "pick", "pack"):
            if step == "accept" and fulfillment["status"] != "ASSIGNED":
                continue
            assert self.floor.step(step, fulfillment["id"])["userErrors"] == []
        shipped = self.floor.step("ship", fulfillment["id"], carrier="UPS", tracking="1Z")
        assert shipped["userErrors"] == [], shipped
        for line in fulfillment["lines"]:
            self.on_hand[(line["sku"], fulfillment["location"]["code"])] -= line["quantity"]
        DONE["shipped"] += 1

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 1_000))
    def ship_a_whole_order(self, pick: int) -> None:
        order = self.order(self.orders[pick % len(self.orders)])
        for _ in order["fulfillments"]:
            self.ship(order["id"], 0)

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 1_000), quantity=st.integers(1, 3), whole=st.integers(0, 3))
    def cancel_some_units(self, pick: int, quantity: int, whole: int) -> None:
        if whole == 0:  # now and then the whole order; refused once anything shipped
            result = self.floor.care(
                "cancel", id=self.orders[pick % len(self.orders)], reason="fraud check"
            )
            DONE["cancelled" if not result["userErrors"] else "cancel refused"] += 1
            return
        order = self.order(self.orders[pick % len(self.orders)])
        line = order["lines"][pick % len(order["lines"])]
        open_units = line["quantity"] - line["quantityCancelled"] - line["quantityShipped"]
        result = self.floor.care(
            "cancelLine", id=order["id"], line=line["id"], quantity=quantity, reason="changed mind"
        )
        if quantity > open_units or order["status"] in ("CANCELLED", "COMPLETED"):
            assert result["userErrors"], result  # refused, and nothing changed (invariants)
        elif not result["userErrors"]:
            DONE["line cancelled"] += 1
            assert result["order"]["lines"][pick % len(order["lines"])]["quantityCancelled"] == (
                line["quantityCancelled"] + quantity
            )

    @precondition(lambda self: bool(self.orders))
    @rule(pick=st.integers(0, 1_000), cents=st.integers(1, 3_000))
    def appease(self, pick: int, cents: int) -> None:
        order_id = self.orders[pick % len(self.orders)]
        amount = str(Decimal(cents) / 100)
        result = self.floor.care("appease", id=order_id, amount=amount, reason="late parcel")
        DONE["appeased" if not result["userErrors"] else "appeasement refused"] += 1

    @precondition(lambda self: bool(self.orders))
    @rule(
        pick=st.integers(0, 1_000),
        quantity=st.integers(1, 2),
        exchange=st.booleans(),
        then=st.sampled_from(["wait", "RESTOCK", "DISCARD", "RETURN_TO_VENDOR"]),
    )
    def request_return(self, pick: int, quantity: int, exchange: bool, then: str) -> None:
        # The first order from `pick` on with something shipped: returns need shipments.
        rotated = self.orders[pick % len(self.orders) :] + self.orders[: pick % len(self.orders)]
        for order_id in rotated:
            order = self.order(order_id)
            shipped = [line for line in order["lines"] if line["quantityShipped"] > 0]
            if shipped:
                break
        else:
            return
        line = shipped[pick % len(shipped)]
        data: dict[str, Any] = {
            "orderId": order["id"],
            "lines": [{"orderLineId": line["id"], "quantity": quantity, "reason": "too small"}],
            "location": self.floor.store,
        }
        if exchange:
            data["exchangeSkus"] = [{"orderLineId": line["id"], "sku": line["sku"], "quantity": 1}]
        result = self.api(RETURN_CREATE, {"input": data})["returnCreate"]
        # quantityReturned counts requested units too (they are claimed as the return is
        # created), so two returns can never claim the same unit.
        returnable = line["quantityShipped"] - line["quantityReturned"]
        if quantity > returnable:
            assert result["userErrors"], result  # never more than shipped minus returned
            DONE["return refused"] += 1
            return
        if result["userErrors"]:
            DONE[f"return refused: {result['userErrors'][0]['code']}"] += 1
            return  # e.g. the exchange's SKU is out of stock: refused as a whole
        created = result["return"]
        DONE["exchange" if exchange else "return"] += 1
        self.follow_exchange(created)
        self.returns[created["id"]] = {
            "order": order["id"],
            "status": created["status"],
            "lines": {line["id"]: quantity},
            "sku": line["sku"],
        }
        if then != "wait":  # received over the counter at once, refunded or not
            self.receive(created["id"], then, refund=pick % 2 == 0)

    @precondition(lambda self: any(r["status"] == "REQUESTED" for r in self.returns.values()))
    @rule(
        pick=st.integers(0, 1_000),
        disposition=st.sampled_from(["RESTOCK", "DISCARD", "RETURN_TO_VENDOR"]),
        refund=st.booleans(),
    )
    def receive_return(self, pick: int, disposition: str, refund: bool) -> None:
        waiting = [i for i, r in self.returns.items() if r["status"] == "REQUESTED"]
        self.receive(waiting[pick % len(waiting)], disposition, refund)

    def receive(self, return_id: str, disposition: str, refund: bool) -> None:
        record = self.returns[return_id]
        lines = [
            {"orderLineId": line_id, "quantity": n, "disposition": disposition}
            for line_id, n in record["lines"].items()
        ]
        result = self.api(
            RETURN_RECEIVE, {"id": return_id, "location": self.floor.store, "lines": lines}
        )["returnReceive"]
        assert result["userErrors"] == [], result
        record["status"] = result["return"]["status"]
        DONE[f"received {disposition}"] += 1
        self.follow_exchange(result["return"])
        if disposition == "RESTOCK":
            key = (record["sku"], self.floor.store)
            self.on_hand[key] = self.on_hand.get(key, 0) + sum(record["lines"].values())
        if refund:  # care often refunds as soon as the goods are in
            self.refund(return_id, twice=False)

    @precondition(lambda self: any(r["status"] == "RECEIVED" for r in self.returns.values()))
    @rule(pick=st.integers(0, 1_000), twice=st.booleans())
    def refund_return(self, pick: int, twice: bool) -> None:
        received = [i for i, r in self.returns.items() if r["status"] == "RECEIVED"]
        self.refund(received[pick % len(received)], twice)

    def refund(self, return_id: str, twice: bool) -> None:
        result = self.api(RETURN_REFUND, {"id": return_id})["returnRefund"]
        assert result["userErrors"] == [], result
        self.returns[return_id]["status"] = result["return"]["status"]
        DONE["refunded"] += 1
        if twice:
            again = self.api(RETURN_REFUND, {"id": return_id})["returnRefund"]
            assert again["userErrors"], again  # refunding twice is impossible

    # ------------------------------------------------------------------ checks

    @invariant()
    def books_balance_and_match_the_gateway(self) -> None:
        if self.shop is None:
            return
        for order_id in self.orders:
            order = self.order(order_id)
            books = self.api(BOOKS, {"number": order["number"]})
            balance = books["trialBalance"]
            assert Decimal(balance["totalDebit"]) == Decimal(balance["totalCredit"])
            clearing = Decimal(0)
            for edge in books["journalEntries"]["edges"]:
                for line in edge["node"]["lines"]:
                    if line["account"] == "PAYMENT_CLEARING":
                        clearing += Decimal(line["debit"]) - Decimal(line["credit"])
            cash = sum(
                (
                    Decimal(p["captured"]["amount"]) - Decimal(p["refunded"]["amount"])
                    for p in order["payments"]
                ),
                Decimal(0),
            )
            assert clearing == cash, (order["number"], clearing, cash)
            for line in order["lines"]:
                assert line["quantityReturned"] <= line["quantityShipped"], line
                assert line["quantityShipped"] + line["quantityCancelled"] <= line["quantity"], line

    @invariant()
    def stock_is_what_the_movements_made_it(self) -> None:
        if self.shop is None:
            return
        allocated: dict[tuple[str, str], int] = defaultdict(int)
        for order_id in self.orders:
            for fulfillment in self.order(order_id)["fulfillments"]:
                if fulfillment["status"] in (
                    "ASSIGNED",
                    "ACCEPTED",
                    "PICKED",
                    "PACKED",
                    "READY_FOR_PICKUP",
                ):
                    for line in fulfillment["lines"]:
                        key = (line["sku"], fulfillment["location"]["code"])
                        allocated[key] += line["quantity"]
        for sku in self.floor.skus:
            edges = self.api(POSITIONS, {"sku": sku})["inventoryPositions"]["edges"]
            seen = {
                (sku, e["node"]["location"]["code"]): (e["node"]["onHand"], e["node"]["allocated"])
                for e in edges
            }
            for key, on_hand in self.on_hand.items():
                if key[0] != sku:
                    continue
                assert seen.get(key, (0, 0)) == (on_hand, allocated[key]), (key, seen.get(key))
        for key, (on_hand, moved) in journal_recompute(self.database_url, self.floor.skus).items():
            assert on_hand == moved, (key, on_hand, moved)  # the journal explains every unit


def tour(api: Api, database_url: str) -> None:
    """Every kind of step once, in a fixed order, with the same checks after each: the
    random runs below add breadth; this makes sure nothing is only ever skipped."""
    Books.api = api
    Books.database_url = database_url
    machine = Books()
    machine.open_shop()
    steps: list[Any] = [
        lambda: machine.place([(0, 2), (1, 2)], ship_now=True),
        lambda: machine.request_return(0, 1, exchange=False, then="RESTOCK"),  # and refund
        lambda: machine.request_return(0, 1, exchange=False, then="DISCARD"),
        lambda: machine.request_return(1, 1, exchange=True, then="RETURN_TO_VENDOR"),
        lambda: machine.refund_return(0, twice=True),
        lambda: machine.place([(0, 2)], ship_now=False),
        lambda: machine.cancel_some_units(2, 1, whole=1),
        lambda: machine.ship_a_whole_order(2),
        lambda: machine.appease(2, 150),
        lambda: machine.place([(1, 1)], ship_now=False),
        lambda: machine.cancel_some_units(3, 1, whole=0),
    ]
    for step in steps:
        step()
        machine.books_balance_and_match_the_gateway()
        machine.stock_is_what_the_movements_made_it()
    machine.teardown()


@pytest.mark.single_execution
def test_random_order_lives_keep_the_books_and_the_stock_exact(api: Api, database_url: str) -> None:
    Books.api = api
    Books.database_url = database_url
    Books.TestCase.settings = settings(
        max_examples=MAX_EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        # Shrinking replays whole HTTP sessions for minutes; the failing steps are printed.
        phases=(Phase.explicit, Phase.generate),
    )
    DONE.clear()
    tour(api, database_url)
    Books.TestCase().runTest()
    print(f"finance machine steps: {dict(sorted(DONE.items()))}")
    wanted = {"placed", "shipped", "line cancelled", "cancelled", "appeased", "return"}
    wanted |= {"exchange", "received RESTOCK", "received DISCARD", "refunded"}
    assert wanted <= set(DONE), f"steps never taken: {wanted - set(DONE)}; taken: {dict(DONE)}"
