"""Every order operation posts its journal entries in its unit of work (fakes): placement
the authorization, a shipment or handover the goods with their cost then the capture, a
cancellation the release, an appeasement its expense; refused operations post nothing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.ledger.accounts import Account
from domain.ledger.model import JournalEntry, balance_of
from domain.orders.commands import AppeaseOrder, CancelOrder, OrderLineRequest
from domain.payments.ports import GatewayOutcome, GatewayResult
from tests.unit.handlers.fakes.payments import RecordingGateway
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_ops_world import PARIS_STORE, at, placed, unchanged
from tests.unit.handlers.order_world import run, world
from tests.unit.handlers.test_care_handlers import care, ship
from tests.unit.handlers.test_fulfillment_handlers import step

A = Account
D = Decimal


def sides(entry: JournalEntry) -> dict[Account, tuple[Decimal, Decimal]]:
    return {line.account: (line.debit, line.credit) for line in entry.lines}


def trail(uow: FakeUnitOfWork, number: str) -> list[JournalEntry]:
    return run(uow.ledger.trail(number))


def costed(uow: FakeUnitOfWork, sku: str, cost: str | None) -> None:
    variant = uow.catalog.variants[sku]
    uow.catalog.variants[sku] = replace(variant, unit_cost=None if cost is None else D(cost))


def test_placing_a_paid_order_posts_its_authorization_and_an_unpaid_one_nothing() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    [entry] = trail(uow, order.number)
    assert entry.event == "payment.authorized"
    assert sides(entry) == {
        A.AUTHORIZATIONS_OPEN: (D("39.98"), D("0.00")),
        A.AUTHORIZATIONS_CONTRA: (D("0.00"), D("39.98")),
    }
    unpaid = placed(uow, gateways, OrderLineRequest("A", 1), paid=False)
    assert trail(uow, unpaid.number) == []


def test_a_shipment_posts_the_goods_at_cost_then_the_capture() -> None:
    uow, gateways = world({("A", "lil"): 5, ("C", "lys"): 5})
    costed(uow, "A", "8.125")  # a cost on the catalog's 4-decimal grid: COGS is rounded
    order = placed(uow, gateways, OrderLineRequest("A", 2), OrderLineRequest("C", 1))
    ship(uow, gateways, at(order, "lil").id)
    entries = trail(uow, order.number)
    assert [e.event for e in entries] == ["payment.authorized", "order.shipped", "payment.captured"]
    assert sides(entries[1]) == {
        A.ACCOUNTS_RECEIVABLE: (D("39.98"), D("0.00")),
        A.COST_OF_GOODS_SOLD: (D("16.25"), D("0.00")),
        A.INVENTORY: (D("0.00"), D("16.25")),
        A.SALES_REVENUE: (D("0.00"), D("39.98")),
    }
    assert sides(entries[2])[A.PAYMENT_CLEARING] == (D("39.98"), D("0.00"))
    # C has no unit cost: its shipment posts no cost of goods.
    ship(uow, gateways, at(order, "lys").id)
    last_shipped = [e for e in trail(uow, order.number) if e.event == "order.shipped"][-1]
    assert A.COST_OF_GOODS_SOLD not in sides(last_shipped)
    entries = uow.ledger.entries
    # Everything shipped is paid: receivable and open authorizations are back to zero.
    for account in (A.ACCOUNTS_RECEIVABLE, A.AUTHORIZATIONS_OPEN):
        assert balance_of(entries, account, "EUR", order.number) == 0
    assert balance_of(entries, A.PAYMENT_CLEARING, "EUR", order.number) == D("159.98")
    balance = run(uow.ledger.trial_balance("EUR"))
    assert balance.total_debit == balance.total_credit


def test_cancelling_the_rest_releases_what_was_not_captured() -> None:
    uow, gateways = world({("A", "lil"): 5, ("C", "lys"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2), OrderLineRequest("C", 1))
    ship(uow, gateways, at(order, "lil").id)
    care(uow, gateways, CancelOrder(order.id, "the rest is too late"))
    entries = trail(uow, order.number)
    assert entries[-1].event == "payment.voided"
    assert sides(entries[-1]) == {
        A.AUTHORIZATIONS_CONTRA: (D("120.00"), D("0.00")),
        A.AUTHORIZATIONS_OPEN: (D("0.00"), D("120.00")),
    }
    assert balance_of(uow.ledger.entries, A.AUTHORIZATIONS_OPEN, "EUR", order.number) == 0


def test_an_appeasement_posts_its_expense_and_a_refused_one_nothing() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    before = unchanged(uow)
    with pytest.raises(DomainError):
        care(uow, gateways, AppeaseOrder(order.id, D("5.00"), "nothing captured yet"))
    assert unchanged(uow) == before
    ship(uow, gateways, at(order, "lil").id)
    care(uow, gateways, AppeaseOrder(order.id, D("5.00"), "late delivery"))
    entry = trail(uow, order.number)[-1]
    assert (entry.event, entry.memo) == ("appeasement", "late delivery")
    assert sides(entry) == {
        A.APPEASEMENTS: (D("5.00"), D("0.00")),
        A.PAYMENT_CLEARING: (D("0.00"), D("5.00")),
    }


def test_a_pickup_handover_posts_like_a_shipment_and_a_wrong_code_posts_nothing() -> None:
    uow, gateways = world({("A", "par"): 3})
    order = placed(uow, gateways, OrderLineRequest("A", 1), pickup="par")
    fid = at(order, "par").id
    for name in ("accept", "pick"):
        step(uow, gateways, name, fid, actor=PARIS_STORE)
    code = at(step(uow, gateways, "ready", fid, actor=PARIS_STORE), "par").pickup_code
    assert code is not None
    with pytest.raises(DomainError):
        step(
            uow,
            gateways,
            "picked_up",
            fid,
            actor=PARIS_STORE,
            code="000000" if code != "000000" else "111111",
        )
    assert [e.event for e in trail(uow, order.number)] == ["payment.authorized"]
    step(uow, gateways, "picked_up", fid, actor=PARIS_STORE, code=code)
    entries = trail(uow, order.number)
    assert [e.event for e in entries] == ["payment.authorized", "order.shipped", "payment.captured"]
    assert sides(entries[1])[A.SALES_REVENUE] == (D("0.00"), D("19.99"))


class DecliningCaptures(RecordingGateway):
    async def capture(
        self, authorization: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        return GatewayResult(GatewayOutcome.DECLINED, "", "card expired")


def test_a_shipment_whose_capture_is_declined_posts_nothing() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 1))
    fid = at(order, "lil").id
    for name in ("accept", "pick", "pack"):
        step(uow, gateways, name, fid)
    declining = {"test": DecliningCaptures()}
    before = unchanged(uow)
    with pytest.raises(DomainError):
        step(uow, declining, "ship", fid)  # type: ignore[arg-type]
    assert unchanged(uow) == before
    assert [e.event for e in trail(uow, order.number)] == ["payment.authorized"]
