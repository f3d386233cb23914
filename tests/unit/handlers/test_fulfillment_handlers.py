"""Store and warehouse operations against the fakes: every step with its stock, money,
status and events; refusals change nothing; tokens act only where they are bound."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.access import SYSTEM
from domain.errors import DomainError, ErrorCode
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.inventory.movements import MovementKind
from domain.orders.commands import (
    AcceptFulfillment,
    ConfirmPickup,
    MarkReadyForPickup,
    OrderLineRequest,
    PackFulfillment,
    PickFulfillment,
    RejectFulfillment,
    ShipFulfillment,
)
from domain.orders.events import FulfillmentStatusChanged, OrderStatusChanged
from domain.orders.handlers import fulfillment as h
from domain.orders.lifecycle import FulfillmentStatus, OrderStatus
from domain.orders.model import Order
from domain.payments.events import PaymentCaptured
from domain.payments.model import PaymentStatus
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_ops_world import (
    LYON_APP,
    OTHER_CHANNEL,
    PARIS_STORE,
    STAFF,
    Gateways,
    allow_backorders,
    at,
    placed,
    unchanged,
)
from tests.unit.handlers.order_world import (
    NOW,
    assert_channel_sums_recompute,
    position,
    run,
    world,
)

F = FulfillmentStatus
LATER = NOW + timedelta(hours=1)


def step(uow: FakeUnitOfWork, gateways: Gateways, name: str, fid: str, **kw: Any) -> Order:
    actor = kw.pop("actor", STAFF)
    now = kw.pop("now", LATER)
    calls: dict[str, Coroutine[Any, Any, Order]] = {}
    if name == "accept":
        calls[name] = h.accept_fulfillment(AcceptFulfillment(fid), actor, uow, gateways, now)
    elif name == "pick":
        calls[name] = h.pick_fulfillment(PickFulfillment(fid), actor, uow, gateways, now)
    elif name == "pack":
        calls[name] = h.pack_fulfillment(PackFulfillment(fid), actor, uow, gateways, now)
    elif name == "ship":
        cmd = ShipFulfillment(fid, kw.get("carrier", "UPS"), kw.get("tracking", "1Z999"))
        calls[name] = h.ship_fulfillment(cmd, actor, uow, gateways, now)
    elif name == "ready":
        calls[name] = h.mark_ready_for_pickup(MarkReadyForPickup(fid), actor, uow, gateways, now)
    elif name == "picked_up":
        cmd2 = ConfirmPickup(fid, kw["code"])
        calls[name] = h.confirm_pickup(cmd2, actor, uow, gateways, now)
    elif name == "reject":
        cmd3 = RejectFulfillment(fid, kw.get("reason", "out of stock on the shelf"))
        calls[name] = h.reject_fulfillment(cmd3, actor, uow, gateways, now)
    return run(calls[name])


def refused(uow: FakeUnitOfWork, gateways: Gateways, name: str, fid: str, **kw: Any) -> list[Any]:
    before = unchanged(uow)
    with pytest.raises(DomainError) as excinfo:
        step(uow, gateways, name, fid, **kw)
    assert unchanged(uow) == before
    return [(e.field, e.code) for e in excinfo.value.errors]


def test_a_parcel_goes_through_every_step_and_leaves_stock_and_captures_its_share() -> None:
    uow, gateways = world({("A", "lys"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    fid = at(order, "lys").id
    for name in ("accept", "pick", "pack"):
        order = step(uow, gateways, name, fid)
    assert order.status is OrderStatus.IN_FULFILLMENT
    assert position(uow, "A", "lys").allocated == 2

    order = step(uow, gateways, "ship", fid, carrier=" UPS ", tracking="1Z999")
    shipped = at(order, "lys")
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == (F.SHIPPED, "UPS", "1Z999")
    assert order.status is OrderStatus.SHIPPED
    assert order.lines[0].quantity_shipped == 2
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.CAPTURED
    assert order.payment.captured == order.totals.total == Decimal("39.98")
    assert gateways["test"].captured == [order.payment.authorization]
    pos = position(uow, "A", "lys")
    assert (pos.on_hand, pos.allocated, pos.available) == (3, 0, 3)
    [move] = [m for m in uow.inventory.movements if m.kind is MovementKind.SHIP]
    assert (move.delta, move.event_id) == (-2, f"ship:{fid}:A")
    assert_channel_sums_recompute(uow)
    kinds = [type(e) for e in uow.published]
    assert kinds.count(FulfillmentStatusChanged) == 4
    assert PaymentCaptured in kinds
    statuses = [
        (e.previous_status, e.status) for e in uow.published if isinstance(e, OrderStatusChanged)
    ]
    assert statuses == [
        (OrderStatus.CONFIRMED, OrderStatus.IN_FULFILLMENT),
        (OrderStatus.IN_FULFILLMENT, OrderStatus.SHIPPED),
    ]
    assert [h.actor for h in order.history[-2:]] == ["admin:care", "admin:care"]


def test_a_count_taken_before_the_shipment_and_applied_after_it_keeps_the_shipment() -> None:
    uow, gateways = world({("A", "lys"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    fid = at(order, "lys").id
    for name in ("accept", "pick", "pack", "ship"):
        step(uow, gateways, name, fid)
    # The warehouse counted 5 before the parcel left; the count arrives afterwards.
    counted = run(
        set_inventory(
            [SetUpdate("A", "lys", 5, NOW + timedelta(minutes=30))],
            SYSTEM,
            uow,
            LATER + timedelta(minutes=1),
        )
    )
    assert counted.applied == 1
    assert position(uow, "A", "lys").on_hand == 3


def test_every_refused_transition_is_invalid_and_changes_nothing() -> None:
    uow, gateways = world({("A", "lys"): 5})
    fid = at(placed(uow, gateways, OrderLineRequest("A", 1)), "lys").id
    for name in ("pick", "pack", "ship", "ready"):
        assert refused(uow, gateways, name, fid) == [(("id",), ErrorCode.INVALID_TRANSITION)]
    step(uow, gateways, "accept", fid)
    for name in ("accept", "pack", "ship", "ready"):
        assert refused(uow, gateways, name, fid) == [(("id",), ErrorCode.INVALID_TRANSITION)]
    for name in ("pick", "pack", "ship"):
        step(uow, gateways, name, fid)
    for name in ("accept", "pick", "pack", "ship", "ready", "reject"):
        assert refused(uow, gateways, name, fid) == [(("id",), ErrorCode.INVALID_TRANSITION)]


def test_a_token_acts_only_on_its_location_and_channel() -> None:
    uow, gateways = world({("A", "lys"): 5})
    fid = at(placed(uow, gateways, OrderLineRequest("A", 1)), "lys").id
    for actor in (PARIS_STORE, OTHER_CHANNEL):
        assert refused(uow, gateways, "accept", fid, actor=actor) == [
            (("id",), ErrorCode.NOT_FOUND)
        ]
    assert refused(uow, gateways, "accept", "no-such-id") == [(("id",), ErrorCode.NOT_FOUND)]
    assert step(uow, gateways, "accept", fid, actor=LYON_APP).fulfillments[0].status is F.ACCEPTED


def test_a_rejected_parcel_goes_to_the_next_best_location_then_is_cancelled() -> None:
    # Lille is nearer Paris than Lyon: it gets the order first.
    uow, gateways = world({("A", "lil"): 5, ("A", "lys"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    lille = at(order, "lil").id
    step(uow, gateways, "accept", lille)
    order = step(uow, gateways, "reject", lille, reason="water damage")
    assert [(f.location_code, f.status) for f in order.fulfillments] == [
        ("lil", F.REJECTED),
        ("lys", F.ASSIGNED),
    ]
    assert order.status is OrderStatus.CONFIRMED
    assert (position(uow, "A", "lil").allocated, position(uow, "A", "lys").allocated) == (0, 2)
    assert at(order, "lil").reason == "water damage"
    assert_channel_sums_recompute(uow)

    # Lyon rejects too; Lille rejected this order before, so nobody is left: cancelled.
    order = step(uow, gateways, "reject", at(order, "lys").id)
    assert order.status is OrderStatus.CANCELLED
    assert order.lines[0].quantity_cancelled == 2
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.VOIDED
    assert (position(uow, "A", "lil").allocated, position(uow, "A", "lys").allocated) == (0, 0)
    assert_channel_sums_recompute(uow)


def test_a_rejected_parcel_is_backordered_when_supply_is_coming() -> None:
    uow, gateways = world({("A", "lys"): 2})
    allow_backorders(uow, {("A", "lil"): (10, (NOW + timedelta(days=5)).date())})
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    order = step(uow, gateways, "reject", at(order, "lys").id)
    assert order.status is OrderStatus.BACKORDERED
    assert [(b.sku, b.quantity) for b in order.backorders] == [("A", 2)]


def test_re_sourcing_skips_a_location_at_daily_capacity_and_gives_the_slot_back() -> None:
    uow, gateways = world({("A", "lil"): 5, ("A", "lys"): 5}, capacity={"lys": 1, "lil": 1})
    lys, lil = (uow.locations.locations[c].id for c in ("lys", "lil"))
    uow.stock.counters[(lys, NOW.date())] = 1  # Lyon took its one order today
    order = placed(uow, gateways, OrderLineRequest("A", 2))
    assert uow.stock.counters[(lil, NOW.date())] == 1
    order = step(uow, gateways, "reject", at(order, "lil").id)
    assert order.status is OrderStatus.CANCELLED  # Lyon is full: nobody can send it
    assert uow.stock.counters[(lil, NOW.date())] == 0  # rejected before acceptance


def test_a_pickup_is_handed_over_against_its_code_and_wrong_codes_count() -> None:
    uow, gateways = world({("A", "par"): 3})
    order = placed(uow, gateways, OrderLineRequest("A", 2), pickup="par")
    fid = at(order, "par").id
    for name in ("accept", "pick"):
        step(uow, gateways, name, fid, actor=PARIS_STORE)
    order = step(uow, gateways, "ready", fid, actor=PARIS_STORE)
    assert order.status is OrderStatus.READY_FOR_PICKUP
    code = at(order, "par").pickup_code
    assert code is not None
    assert len(code) == 6
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 6):
        with pytest.raises(DomainError) as excinfo:
            step(uow, gateways, "picked_up", fid, actor=PARIS_STORE, code=wrong)
        assert [e.code for e in excinfo.value.errors] == [ErrorCode.INVALID]
        # Refused, yet the attempt is committed.
        assert uow.orders.orders[order.id].fulfillments[0].pickup_attempts == attempt
    # Locked after five: even the right code is refused until a new one is issued.
    assert refused(uow, gateways, "picked_up", fid, actor=PARIS_STORE, code=code) == [
        (("pickupCode",), ErrorCode.FORBIDDEN)
    ]
    order = run(h.reissue_pickup_code(fid, STAFF, uow, LATER))
    code = at(order, "par").pickup_code
    assert code is not None
    order = step(uow, gateways, "picked_up", fid, actor=PARIS_STORE, code=f"{code[:3]} {code[3:]}")
    assert at(order, "par").status is F.PICKED_UP
    assert order.status is OrderStatus.COMPLETED
    assert order.payment is not None
    assert order.payment.captured == order.totals.total
    pos = position(uow, "A", "par")
    assert (pos.on_hand, pos.allocated) == (1, 0)


def test_a_held_order_cannot_progress_but_can_be_rejected() -> None:
    from domain.orders.commands import HoldOrder
    from domain.orders.handlers.care import hold_order

    uow, gateways = world({("A", "lil"): 5, ("A", "lys"): 5})
    order = placed(uow, gateways, OrderLineRequest("A", 1))
    run(hold_order(HoldOrder(order.id, "fraud review"), STAFF, uow, gateways, LATER))
    fid = at(order, "lil").id
    assert refused(uow, gateways, "accept", fid) == [(("id",), ErrorCode.INVALID_TRANSITION)]
    order = step(uow, gateways, "reject", fid)
    assert order.status is OrderStatus.ON_HOLD
    assert [f.status for f in order.fulfillments] == [F.REJECTED, F.ASSIGNED]


def test_bad_carrier_tracking_and_reason_are_invalid() -> None:
    uow, gateways = world({("A", "lys"): 5})
    fid = at(placed(uow, gateways, OrderLineRequest("A", 1)), "lys").id
    for name in ("accept", "pick", "pack"):
        step(uow, gateways, name, fid)
    assert refused(uow, gateways, "ship", fid, carrier=" ", tracking="x" * 101) == [
        (("carrier",), ErrorCode.INVALID),
        (("trackingNumber",), ErrorCode.INVALID),
    ]
    assert refused(uow, gateways, "reject", fid, reason="") == [(("reason",), ErrorCode.INVALID)]
