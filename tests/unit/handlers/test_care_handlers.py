"""Customer care against the fakes: cancel (order, line), address, hold/release, appease;
stock released, payment voided or refunded, refusals change nothing."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.access import Actor
from domain.errors import DomainError, ErrorCode
from domain.locations.model import Address
from domain.orders.commands import (
    AcceptFulfillment,
    AppeaseOrder,
    CancelOrder,
    CancelOrderLine,
    ChangeOrderShippingAddress,
    HoldOrder,
    OrderLineRequest,
    PackFulfillment,
    PickFulfillment,
    ReleaseOrder,
    ShipFulfillment,
)
from domain.orders.events import OrderAppeased, OrderStatusChanged
from domain.orders.handlers import care as h
from domain.orders.handlers import fulfillment as ops
from domain.orders.lifecycle import FulfillmentStatus, OrderStatus
from domain.orders.model import Order
from domain.payments.model import PaymentStatus
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_ops_world import (
    OTHER_CHANNEL,
    PARIS_STORE,
    STAFF,
    Gateways,
    at,
    placed,
    unchanged,
)
from tests.unit.handlers.order_world import (
    NOW,
    STOREFRONT,
    assert_channel_sums_recompute,
    position,
    run,
    world,
)

F = FulfillmentStatus
LATER = NOW + timedelta(hours=2)
LYON = Address("2 quai", "Lyon", "69002", "FR")


def care(uow: FakeUnitOfWork, gateways: Gateways, cmd: Any, actor: Actor = STAFF) -> Order:
    handlers: dict[type, Any] = {
        CancelOrder: h.cancel_order,
        CancelOrderLine: h.cancel_order_line,
        ChangeOrderShippingAddress: h.change_shipping_address,
        HoldOrder: h.hold_order,
        ReleaseOrder: h.release_order,
        AppeaseOrder: h.appease_order,
    }
    call: Coroutine[Any, Any, Order] = handlers[type(cmd)](cmd, actor, uow, gateways, LATER)
    return run(call)


def refused(uow: FakeUnitOfWork, gateways: Gateways, cmd: Any, actor: Actor = STAFF) -> list[Any]:
    before = unchanged(uow)
    with pytest.raises(DomainError) as excinfo:
        care(uow, gateways, cmd, actor)
    assert unchanged(uow) == before
    return [(e.field, e.code) for e in excinfo.value.errors]


def ship(uow: FakeUnitOfWork, gateways: Gateways, fulfillment_id: str) -> Order:
    run(ops.accept_fulfillment(AcceptFulfillment(fulfillment_id), STAFF, uow, gateways, LATER))
    run(ops.pick_fulfillment(PickFulfillment(fulfillment_id), STAFF, uow, gateways, LATER))
    run(ops.pack_fulfillment(PackFulfillment(fulfillment_id), STAFF, uow, gateways, LATER))
    cmd = ShipFulfillment(fulfillment_id, "DHL", "JD1")
    return run(ops.ship_fulfillment(cmd, STAFF, uow, gateways, LATER))


def two_parcels(uow: FakeUnitOfWork, gateways: Gateways) -> Order:
    """A from Lille, C from Lyon: two parcels."""
    return placed(uow, gateways, OrderLineRequest("A", 2), OrderLineRequest("C", 1))


def test_cancelling_an_order_releases_its_stock_and_voids_the_payment() -> None:
    uow, gateways = world({("A", "lil"): 5, ("C", "lys"): 5})
    order = two_parcels(uow, gateways)
    order = care(uow, gateways, CancelOrder(order.id, "customer changed their mind"))
    assert order.status is OrderStatus.CANCELLED
    assert [f.status for f in order.fulfillments] == [F.CANCELLED, F.CANCELLED]
    assert [line.quantity_cancelled for line in order.lines] == [2, 1]
    assert position(uow, "A", "lil").allocated == 0
    assert position(uow, "C", "lys").allocated == 0
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.VOIDED
    assert gateways["test"].voided == [order.payment.authorization]
    assert_channel_sums_recompute(uow)
    # Placement's slots come back (cancelled before any work started).
    assert set(uow.stock.counters.values()) <= {0}
    assert refused(uow, gateways, CancelOrder(order.id, "again")) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]


def test_cancelling_a_partly_shipped_order_keeps_what_left_and_releases_the_rest() -> None:
    uow, gateways = world({("A", "lil"): 5, ("C", "lys"): 5})
    order = two_parcels(uow, gateways)
    order = ship(uow, gateways, at(order, "lil").id)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    order = care(uow, gateways, CancelOrder(order.id, "the rest is too late"))
    assert order.status is OrderStatus.SHIPPED
    payment = order.payment
    assert payment is not None
    assert payment.status is PaymentStatus.CAPTURED
    assert payment.closed
    assert payment.captured == Decimal("39.98")  # the parcel of A; C never captured
    assert position(uow, "C", "lys").allocated == 0


def test_a_line_is_cancelled_in_part_from_the_least_advanced_work() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 3))
    line = order.lines[0].id
    order = care(uow, gateways, CancelOrderLine(order.id, line, 2, "too many"))
    assert (order.lines[0].quantity_cancelled, at(order, "lil").units) == (2, 1)
    assert order.status is OrderStatus.CONFIRMED
    assert position(uow, "A", "lil").allocated == 1
    assert refused(uow, gateways, CancelOrderLine(order.id, line, 2, "more")) == [
        (("quantity",), ErrorCode.INVALID)
    ]
    assert refused(uow, gateways, CancelOrderLine(order.id, "nope", 1, "x")) == [
        (("lineId",), ErrorCode.NOT_FOUND)
    ]


def test_the_address_changes_until_the_first_parcel_leaves() -> None:
    uow, gateways = world({("A", "lil"): 5, ("C", "lys"): 5})
    order = two_parcels(uow, gateways)
    order = care(uow, gateways, ChangeOrderShippingAddress(order.id, LYON))
    assert order.shipping_address == LYON
    assert order.history[-1].type == "ADDRESS_CHANGED"
    abroad = Address("1 Main St", "Boston", "02101", "US")
    assert refused(uow, gateways, ChangeOrderShippingAddress(order.id, abroad)) == [
        (("address", "country"), ErrorCode.INVALID)
    ]
    ship(uow, gateways, at(order, "lil").id)
    assert refused(uow, gateways, ChangeOrderShippingAddress(order.id, LYON)) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]


def test_hold_and_release() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 1))
    assert refused(uow, gateways, ReleaseOrder(order.id)) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]
    order = care(uow, gateways, HoldOrder(order.id, "fraud review"))
    assert order.status is OrderStatus.ON_HOLD
    assert refused(uow, gateways, HoldOrder(order.id, "again")) == [
        (("id",), ErrorCode.INVALID_TRANSITION)
    ]
    order = care(uow, gateways, ReleaseOrder(order.id))
    assert order.status is OrderStatus.CONFIRMED
    changes = [
        (e.previous_status, e.status) for e in uow.published if isinstance(e, OrderStatusChanged)
    ]
    assert changes == [
        (OrderStatus.CONFIRMED, OrderStatus.ON_HOLD),
        (OrderStatus.ON_HOLD, OrderStatus.CONFIRMED),
    ]
    assert [e.actor for e in order.history[-2:]] == ["admin:care", "admin:care"]


def test_appeasement_refunds_at_most_what_was_captured() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    # Nothing captured yet: nothing can be given back.
    assert refused(uow, gateways, AppeaseOrder(order.id, Decimal("5.00"), "late")) == [
        (("amount",), ErrorCode.INVALID)
    ]
    ship(uow, gateways, at(order, "lil").id)
    order = care(uow, gateways, AppeaseOrder(order.id, Decimal("5.00"), "late delivery"))
    assert order.payment is not None
    assert (order.payment.refunded, order.payment.status) == (
        Decimal("5.00"),
        PaymentStatus.PARTIALLY_REFUNDED,
    )
    assert order.appeased == Decimal("5.00")
    assert any(isinstance(e, OrderAppeased) for e in uow.published)
    for amount in ("35.00", "0", "-1", "1.234"):
        assert refused(uow, gateways, AppeaseOrder(order.id, Decimal(amount), "x")) == [
            (("amount",), ErrorCode.INVALID)
        ]
    order = care(uow, gateways, AppeaseOrder(order.id, Decimal("34.98"), "lost parcel"))
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.REFUNDED


def test_care_is_refused_to_storefronts_and_other_channels() -> None:
    uow, gateways = world({("A", "lil"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 1))
    assert refused(uow, gateways, CancelOrder(order.id, "x"), STOREFRONT) == [
        (("id",), ErrorCode.FORBIDDEN)
    ]
    for actor in (OTHER_CHANNEL, PARIS_STORE):
        assert refused(uow, gateways, HoldOrder(order.id, "x"), actor) == [
            (("id",), ErrorCode.NOT_FOUND)
        ]
    assert refused(uow, gateways, HoldOrder("missing", "x")) == [(("id",), ErrorCode.NOT_FOUND)]
