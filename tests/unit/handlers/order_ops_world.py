"""Placed orders for the fulfillment and care handler tests (order_world.py's shop)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from domain.access import Actor
from domain.orders.commands import OrderLineRequest, PlaceOrder
from domain.orders.handlers.place import place_direct
from domain.orders.model import Fulfillment, Order
from tests.unit.handlers.fakes.payments import RecordingGateway
from tests.unit.handlers.fakes.uow import FakeUnitOfWork
from tests.unit.handlers.order_world import NOW, OK, PARIS, PARTNER, run, snapshot

Gateways = dict[str, RecordingGateway]
# Staff of the channel (unbound admin), a store app bound to the Paris store, a partner of
# another channel.
STAFF = Actor(name="admin:care", token_id=10, kind="admin")
PARIS_STORE = Actor(name="partner:paris-app", location="par", token_id=11, kind="partner")
LYON_APP = Actor(name="partner:lyon-app", location="lys", token_id=12, kind="partner")
OTHER_CHANNEL = Actor(name="partner:other", channel="app", token_id=13, kind="partner")


def placed(
    uow: FakeUnitOfWork,
    gateways: Gateways,
    *lines: OrderLineRequest,
    pickup: str | None = None,
    paid: bool = True,
) -> Order:
    """An order sent whole by the channel's partner, paid with `tok_ok` unless `paid=False`."""
    cmd = PlaceOrder(
        channel="web",
        lines=lines,
        email="ann@example.com",
        shipping_address=None if pickup else PARIS,
        delivery_option=None if pickup else "standard",
        pickup_location=pickup,
        payment=OK if paid else None,
    )
    order: Order = run(place_direct(cmd, PARTNER, uow, gateways, NOW))
    uow.published.clear()
    return order


def at(order: Order, location: str) -> Fulfillment:
    """The order's open (or last) fulfillment at a location."""
    found = [f for f in order.fulfillments if f.location_code == location]
    assert found, [f.location_code for f in order.fulfillments]
    return found[-1]


def allow_backorders(
    uow: FakeUnitOfWork, incoming: dict[tuple[str, str], tuple[int, date]]
) -> None:
    settings = run(uow.channel_settings.settings("web"))
    assert settings is not None
    uow.channel_settings.configured["web"] = replace(
        settings, sourcing=replace(settings.sourcing, allow_backorder=True)
    )
    for (sku, location), (quantity, expected) in incoming.items():
        key = (uow.catalog.variants[sku].id, uow.locations.locations[location].id)
        uow.inventory.incoming.append((key, quantity, expected, "po"))


def unchanged(uow: FakeUnitOfWork) -> dict[str, Any]:
    """What a refused operation must leave as it was (positions, orders, counters...)."""
    state = snapshot(uow)
    state["movements"] = list(uow.inventory.movements)
    state["outbox"] = len(uow.outbox)
    return state
