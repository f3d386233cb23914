"""Returns against the fakes: create, receive (restock, discard, vendor), refund, exchange;
every refusal changes nothing (returns, orders, stock, journal, ledger, outbox)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.access import Actor
from domain.errors import DomainError, ErrorCode
from domain.inventory.events import AvailabilityChanged
from domain.inventory.movements import MovementKind
from domain.ledger.accounts import Account
from domain.ledger.model import trial_balance
from domain.locations.model import CreateLocation, LocationKind
from domain.orders.commands import (
    AcceptFulfillment,
    OrderLineRequest,
    PackFulfillment,
    PaymentDetails,
    PickFulfillment,
    ShipFulfillment,
)
from domain.orders.events import OrderStatusChanged
from domain.orders.handlers import fulfillment as ops
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.payments.model import PaymentStatus
from domain.returns import handlers as h
from domain.returns.model import Disposition, ExchangeLine, Return, ReturnStatus
from domain.returns.rules import CreateReturn, ReceiptLine, ReceiveReturn, ReturnLineRequest
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_ops_world import STAFF, Gateways, at, placed, unchanged
from tests.unit.handlers.order_world import (
    NOW,
    assert_channel_sums_recompute,
    position,
    run,
    world,
)

LATER = NOW + timedelta(hours=2)
RETURN_AT = NOW + timedelta(days=3)
ANN = Actor(name="customer:ann", customer="ann@example.com", token_id=20, kind="customer")
BOB = Actor(name="customer:bob", customer="bob@example.com", token_id=21, kind="customer")
OTHER_CHANNEL = Actor(name="partner:other", channel="app", token_id=13, kind="partner")


def shipped(uow: FakeUnitOfWork, gateways: Gateways, sku: str = "A", n: int = 2) -> Order:
    order = placed(uow, gateways, OrderLineRequest(sku, n))
    f = at(order, "lil").id
    run(ops.accept_fulfillment(AcceptFulfillment(f), STAFF, uow, gateways, LATER))
    run(ops.pick_fulfillment(PickFulfillment(f), STAFF, uow, gateways, LATER))
    run(ops.pack_fulfillment(PackFulfillment(f), STAFF, uow, gateways, LATER))
    shipped_order: Order = run(
        ops.ship_fulfillment(ShipFulfillment(f, "DHL", "1"), STAFF, uow, gateways, LATER)
    )
    uow.published.clear()
    return shipped_order


def create(
    uow: FakeUnitOfWork,
    gateways: Gateways,
    order: Order,
    quantity: int,
    location: str | None = None,
    actor: Actor = STAFF,
    exchange: tuple[ExchangeLine, ...] = (),
) -> Return:
    request = CreateReturn(
        "", (ReturnLineRequest(order.lines[0].id, quantity, "too small"),), location, exchange
    )
    cmd = h.CreateReturnFor(order.id, request)
    _, ret = run(h.create_return(cmd, actor, uow, gateways, RETURN_AT))
    return ret


def receive(
    uow: FakeUnitOfWork,
    order: Order,
    ret: Return,
    lines: list[tuple[int, Disposition]],
    location: str = "lil",
    actor: Actor = STAFF,
) -> Return:
    receipt = ReceiveReturn(location, tuple(ReceiptLine(order.lines[0].id, n, d) for n, d in lines))
    assert ret.id is not None
    _, received = run(h.receive(ret.id, receipt, actor, uow, RETURN_AT))
    return received


def everything(uow: FakeUnitOfWork) -> dict[str, Any]:
    state = unchanged(uow)
    state["returns"] = dict(uow.returns.returns)
    state["ledger"] = len(uow.ledger.entries)
    return state


def refused(call: Any) -> list[tuple[tuple[str, ...], ErrorCode]]:
    with pytest.raises(DomainError) as caught:
        run(call)
    return [(tuple(e.field), e.code) for e in caught.value.errors]


def test_a_return_holds_units_and_tells_the_order() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = shipped(uow, gateways)
    ret = create(uow, gateways, order, 1, location="par", actor=ANN)
    assert (ret.status, ret.location, ret.order_id) == (ReturnStatus.REQUESTED, "par", order.id)
    stored = run(uow.orders.get(order.id))
    assert stored is not None
    assert stored.lines[0].quantity_returned == 1
    assert stored.history[-1].type == "RETURN_REQUESTED"
    [event] = [e for e in uow.published if isinstance(e, OrderStatusChanged)]
    assert event.status is event.previous_status is stored.status


def test_bad_returns_change_nothing() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = shipped(uow, gateways)
    unshipped = placed(uow, gateways, OrderLineRequest("A", 1))
    before = everything(uow)

    def attempt(order: Order, n: int, location: str | None = None, actor: Actor = STAFF) -> Any:
        request = CreateReturn("", (ReturnLineRequest(order.lines[0].id, n, "x"),), location)
        return h.create_return(h.CreateReturnFor(order.id, request), actor, uow, gateways, NOW)

    quantity = (("input", "lines", "0", "quantity"), ErrorCode.INVALID)
    assert refused(attempt(order, 3)) == [quantity]
    assert refused(attempt(unshipped, 1)) == [quantity]
    assert refused(attempt(order, 1, "nowhere")) == [(("input", "location"), ErrorCode.NOT_FOUND)]
    run(uow.locations.add(_locker()))
    assert refused(attempt(order, 1, "box")) == [(("input", "location"), ErrorCode.INVALID)]
    not_found = [(("input", "orderId"), ErrorCode.NOT_FOUND)]
    assert refused(attempt(order, 1, actor=BOB)) == not_found
    assert refused(attempt(order, 1, actor=OTHER_CHANNEL)) == not_found
    before["positions"] = dict(uow.inventory.positions)
    assert everything(uow) == before


def _locker() -> CreateLocation:
    return CreateLocation("box", "Box", LocationKind.LOCKER, can_ship=False, can_pickup=True)


def test_restock_discard_and_vendor_return_on_receipt() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = shipped(uow, gateways, n=4)
    assert position(uow, "A", "par").on_hand == 0
    # Bought online, returned in store: the store never stocked A (its position is created).
    ret = create(uow, gateways, order, 3, location="par")
    uow.published.clear()
    received = receive(uow, order, ret, [(2, Disposition.RESTOCK)], location="par")
    # The feed: 1 left in Lille after the shipment, 2 back in the store.
    feed = [(e.sku, e.available) for e in uow.published if isinstance(e, AvailabilityChanged)]
    assert feed == [("A", 3)]
    assert_channel_sums_recompute(uow)
    assert received.status is ReturnStatus.RECEIVED
    assert received.lines[0].received == 2
    assert position(uow, "A", "par").on_hand == 2
    [move] = [m for m in uow.inventory.movements if m.kind is MovementKind.RETURN]
    assert (move.delta, move.event_id) == (2, f"return:{ret.id}:A")
    stored = run(uow.orders.get(order.id))
    assert stored is not None
    assert stored.lines[0].quantity_returned == 2  # one unit did not arrive: returnable again
    before_discard = position(uow, "A", "lil")
    discard = create(uow, gateways, order, 1)
    receive(uow, order, discard, [(1, Disposition.DISCARD)])
    vendor = create(uow, gateways, order, 1)
    to_vendor = receive(uow, order, vendor, [(1, Disposition.RETURN_TO_VENDOR)])
    assert to_vendor.lines[0].disposition is Disposition.RETURN_TO_VENDOR
    assert position(uow, "A", "lil") == before_discard
    assert len([m for m in uow.inventory.movements if m.kind is MovementKind.RETURN]) == 1
    assert [e.event for e in uow.ledger.entries].count("return.received") == 3
    assert refused(
        h.create_return(
            h.CreateReturnFor(
                order.id,
                CreateReturn("", (ReturnLineRequest(order.lines[0].id, 1, "x"),)),
            ),
            STAFF,
            uow,
            gateways,
            RETURN_AT,
        )
    ) == [(("input", "lines", "0", "quantity"), ErrorCode.INVALID)]  # all four taken back
    balance = trial_balance(uow.ledger.entries, "EUR")
    assert balance.total_debit == balance.total_credit


def test_receiving_is_for_staff_once_at_a_location_that_takes_returns() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = shipped(uow, gateways)
    ret = create(uow, gateways, order, 2, actor=ANN)
    assert ret.id is not None
    before = everything(uow)

    def attempt(n: int, location: str = "lil", actor: Actor = STAFF) -> Any:
        receipt = ReceiveReturn(location, (ReceiptLine(order.lines[0].id, n, Disposition.RESTOCK),))
        return h.receive(ret.id or 0, receipt, actor, uow, RETURN_AT)

    assert refused(attempt(1, actor=ANN)) == [(("id",), ErrorCode.FORBIDDEN)]
    assert refused(attempt(1, actor=OTHER_CHANNEL)) == [(("id",), ErrorCode.NOT_FOUND)]
    assert refused(attempt(3)) == [(("lines", "0", "quantity"), ErrorCode.INVALID)]
    assert refused(attempt(0)) == [(("lines",), ErrorCode.INVALID)]
    run(uow.locations.add(_locker()))
    assert refused(attempt(1, "box")) == [(("location",), ErrorCode.INVALID)]
    assert everything(uow) == before
    run(attempt(2))
    after = everything(uow)
    assert refused(attempt(2)) == [(("id",), ErrorCode.INVALID_TRANSITION)]
    assert everything(uow) == after


def test_refund_once_through_the_gateway() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = shipped(uow, gateways, n=3)
    ret = create(uow, gateways, order, 2)
    assert ret.id is not None
    before = everything(uow)
    assert refused(h.refund(ret.id, STAFF, uow, gateways, RETURN_AT)) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]
    assert everything(uow) == before
    receive(uow, order, ret, [(2, Disposition.RESTOCK)])
    assert refused(h.refund(ret.id, ANN, uow, gateways, RETURN_AT)) == [
        (("id",), ErrorCode.FORBIDDEN)
    ]
    paid, refunded = run(h.refund(ret.id, STAFF, uow, gateways, RETURN_AT))
    assert refunded.refund == Decimal("39.98")  # 2 x 19.99; the third unit kept: no shipping
    assert paid.payment is not None
    assert paid.payment.refunded == Decimal("39.98")
    assert paid.payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert uow.returns.returns[ret.id].status is ReturnStatus.REFUNDED
    entry = uow.ledger.entries[-1]
    assert entry.event == "refund"
    lines = {(line.account, line.debit, line.credit) for line in entry.lines}
    assert (Account.SALES_RETURNS, Decimal("39.98"), Decimal(0)) in lines
    assert (Account.PAYMENT_CLEARING, Decimal(0), Decimal("39.98")) in lines
    balance = trial_balance(uow.ledger.entries, "EUR")
    assert balance.total_debit == balance.total_credit
    after = everything(uow)
    assert refused(h.refund(ret.id, STAFF, uow, gateways, RETURN_AT)) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]
    assert everything(uow) == after


def test_exchange_places_a_linked_order_cheaper_or_equal_only() -> None:
    uow, gateways = world({("A", "lil"): 5, ("B", "lil"): 5})
    order = shipped(uow, gateways, "A", 1)
    ret = create(uow, gateways, order, 1, exchange=(ExchangeLine(order.lines[0].id, "B", 1),))
    assert ret.exchange_order_id is not None
    exchange = run(uow.orders.get(ret.exchange_order_id))
    assert exchange is not None
    assert [(line.sku, line.quantity) for line in exchange.lines] == [("B", 1)]
    assert position(uow, "B", "lil").allocated == 1
    assert exchange.status is OrderStatus.ON_HOLD  # nothing ships before the goods are back
    receive(uow, order, ret, [(1, Disposition.RESTOCK)])
    released = run(uow.orders.get(ret.exchange_order_id))
    assert released is not None
    assert (released.status, released.hold_reason) == (OrderStatus.CONFIRMED, None)
    paid, refunded = run(h.refund(ret.id or 0, STAFF, uow, gateways, RETURN_AT))
    assert paid.payment is not None
    assert refunded.refund is not None
    assert paid.payment.refunded == refunded.refund - exchange.totals.total

    cheap = shipped(uow, gateways, "B", 1)
    before = everything(uow)
    dearer = (ExchangeLine(cheap.lines[0].id, "A", 1),)
    request = CreateReturn("", (ReturnLineRequest(cheap.lines[0].id, 1, "x"),), None, dearer)
    call = h.create_return(h.CreateReturnFor(cheap.id, request), STAFF, uow, gateways, NOW)
    assert refused(call) == [(("input", "payment"), ErrorCode.INVALID)]
    assert everything(uow) == before
    paid_cmd = h.CreateReturnFor(cheap.id, request, PaymentDetails("test", "tok_ok"))
    _, ret = run(h.create_return(paid_cmd, STAFF, uow, gateways, NOW))
    assert ret.exchange_order_id is not None
    paid_exchange = run(uow.orders.get(ret.exchange_order_id))
    assert paid_exchange is not None
    assert paid_exchange.payment is not None
    assert paid_exchange.payment.authorized == paid_exchange.totals.total
    receive(uow, cheap, ret, [(1, Disposition.RESTOCK)])
    refunded_order, refunded = run(h.refund(ret.id or 0, STAFF, uow, gateways, RETURN_AT))
    assert refunded_order.payment is not None
    assert refunded_order.payment.refunded == refunded.refund  # all back: paid on its own
