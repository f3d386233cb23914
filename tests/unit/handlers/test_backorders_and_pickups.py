"""Jobs against the fakes: backorders released when stock arrives, pickups that nobody
collected expire and give their units back."""

from __future__ import annotations

from datetime import timedelta

from domain.access import SYSTEM
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import SetUpdate
from domain.orders.commands import (
    AcceptFulfillment,
    ExpirePickups,
    HoldOrder,
    MarkReadyForPickup,
    OrderLineRequest,
    PickFulfillment,
    ReleaseBackorders,
)
from domain.orders.handlers.backorders import backordered_skus, release_backorders_of
from domain.orders.handlers.care import hold_order
from domain.orders.handlers.fulfillment import (
    accept_fulfillment,
    mark_ready_for_pickup,
    pick_fulfillment,
)
from domain.orders.handlers.pickups import expire_pickups
from domain.orders.lifecycle import FulfillmentStatus, OrderStatus
from domain.payments.model import PaymentStatus
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_ops_world import STAFF, Gateways, allow_backorders, at, placed
from tests.unit.handlers.order_world import (
    NOW,
    assert_channel_sums_recompute,
    position,
    run,
    world,
)

F = FulfillmentStatus
SOON = (NOW + timedelta(days=3)).date()


def release(uow: FakeUnitOfWork, *skus: str) -> int:
    return run(release_backorders_of(ReleaseBackorders(skus), lambda: uow, {}, NOW))


def test_backorders_are_released_oldest_first_when_stock_arrives() -> None:
    uow, gateways = world({("A", "lys"): 0})
    allow_backorders(uow, {("A", "lys"): (10, SOON)})
    first = placed(uow, gateways, OrderLineRequest("A", 2))
    second = placed(uow, gateways, OrderLineRequest("A", 2))
    assert first.status is second.status is OrderStatus.BACKORDERED
    assert run(backordered_skus(lambda: uow, 10)) == ["A"]
    assert release(uow, "A") == 0  # nothing on hand yet: both keep waiting

    run(set_inventory([SetUpdate("A", "lys", 3, NOW)], SYSTEM, uow, NOW))
    assert release(uow, "A", "B") == 2  # the second gets the one unit left
    first_now = uow.orders.orders[first.id]
    second_now = uow.orders.orders[second.id]
    assert first_now.status is OrderStatus.CONFIRMED
    assert first_now.backorders == []
    assert [(f.location_code, f.units) for f in first_now.fulfillments] == [("lys", 2)]
    assert [b.quantity for b in second_now.backorders] == [1]
    assert [f.units for f in second_now.fulfillments] == [1]
    assert second_now.status is OrderStatus.BACKORDERED  # still waiting for one unit
    assert position(uow, "A", "lys").allocated == 3
    assert_channel_sums_recompute(uow)
    assert first_now.history[-1].actor == "system:backorder-release"


def test_an_order_on_hold_waits_and_its_stock_goes_to_the_next() -> None:
    uow, gateways = world({("A", "lys"): 0})
    allow_backorders(uow, {("A", "lys"): (10, SOON)})
    held = placed(uow, gateways, OrderLineRequest("A", 1))
    run(hold_order(HoldOrder(held.id, "fraud review"), STAFF, uow, gateways, NOW))
    waiting = placed(uow, gateways, OrderLineRequest("A", 1))
    run(set_inventory([SetUpdate("A", "lys", 1, NOW)], SYSTEM, uow, NOW))
    assert release(uow, "A") == 1
    assert uow.orders.orders[held.id].backorders != []
    assert uow.orders.orders[waiting.id].status is OrderStatus.CONFIRMED


def ready_pickup(uow: FakeUnitOfWork, gateways: Gateways) -> tuple[str, str]:
    order = placed(uow, gateways, OrderLineRequest("A", 2), pickup="par")
    fid = at(order, "par").id
    run(accept_fulfillment(AcceptFulfillment(fid), STAFF, uow, gateways, NOW))
    run(pick_fulfillment(PickFulfillment(fid), STAFF, uow, gateways, NOW))
    run(mark_ready_for_pickup(MarkReadyForPickup(fid), STAFF, uow, gateways, NOW))
    return order.id, fid


def test_a_pickup_nobody_collects_expires_after_the_hold_and_returns_its_stock() -> None:
    uow, gateways = world({("A", "par"): 3})
    order_id, _ = ready_pickup(uow, gateways)
    assert position(uow, "A", "par").available == 1
    assert run(expire_pickups(ExpirePickups(NOW + timedelta(days=6)), lambda: uow, gateways)) == 0
    expired = run(
        expire_pickups(ExpirePickups(NOW + timedelta(days=7, hours=1)), lambda: uow, gateways)
    )
    assert expired == 1
    order = uow.orders.orders[order_id]
    assert at(order, "par").status is F.EXPIRED
    assert order.status is OrderStatus.CANCELLED
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.VOIDED
    pos = position(uow, "A", "par")
    assert (pos.allocated, pos.available) == (0, 3)
    assert_channel_sums_recompute(uow)
    assert order.history[-1].actor == "system:pickup-expiry"
    # Nothing left to expire: a second sweep does nothing.
    assert run(expire_pickups(ExpirePickups(NOW + timedelta(days=8)), lambda: uow, gateways)) == 0


def test_the_hold_is_the_channels() -> None:
    from dataclasses import replace

    uow, gateways = world({("A", "par"): 3})
    settings = run(uow.channel_settings.settings("web"))
    assert settings is not None
    uow.channel_settings.configured["web"] = replace(
        settings, pickup=replace(settings.pickup, hold_days=2)
    )
    order_id, _ = ready_pickup(uow, gateways)
    assert run(expire_pickups(ExpirePickups(NOW + timedelta(days=1)), lambda: uow, gateways)) == 0
    assert run(expire_pickups(ExpirePickups(NOW + timedelta(days=3)), lambda: uow, gateways)) == 1
    assert uow.orders.orders[order_id].status is OrderStatus.CANCELLED
