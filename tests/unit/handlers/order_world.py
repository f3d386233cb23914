"""A small world for order handler tests: channel `web` (EUR) counting a Paris store that
picks up, a Lyon warehouse and a Lille warehouse; SKUs A, B, C priced in `web`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from domain.access import SYSTEM, Actor
from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import CreateChannel, CreateProduct, VariantSpec
from domain.inventory.feed import channel_sums, published_value
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import PositionState, SetUpdate
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.handlers import create_location
from domain.locations.model import Address, CreateLocation, GeoPoint, LocationKind
from domain.orders.cart import CartLineRequest
from domain.orders.commands import CompleteCart, CreateCart, PaymentDetails
from domain.orders.handlers.carts import create_cart
from domain.orders.handlers.common import CartQuote
from tests.unit.handlers.fakes.payments import RecordingGateway
from tests.unit.handlers.fakes.uow import FakeUnitOfWork

T = TypeVar("T")
NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)  # a Monday morning
PARIS = Address("10 rue de la Paix", "Paris", "75002", "FR", geo=GeoPoint(48.8686, 2.3314))
STOREFRONT = Actor(name="storefront:web", channel="web", token_id=1, kind="storefront")
PARTNER = Actor(name="partner:market", channel="web", token_id=2, kind="partner")
OK = PaymentDetails("test", "tok_ok")
DECLINED = PaymentDetails("test", "tok_declined")
PRICES = {"A": Decimal("19.99"), "B": Decimal("5.00"), "C": Decimal("120.00")}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def world(
    stock: dict[tuple[str, str], int] | None = None,
    capacity: dict[str, int] | None = None,
) -> tuple[FakeUnitOfWork, dict[str, RecordingGateway]]:
    uow = FakeUnitOfWork()
    run(create_channel(CreateChannel("web", "Web", "EUR"), uow))
    spots = (
        ("par", LocationKind.STORE, GeoPoint(48.87, 2.33), True),
        ("lys", LocationKind.WAREHOUSE, GeoPoint(45.76, 4.84), False),
        ("lil", LocationKind.WAREHOUSE, GeoPoint(50.63, 3.06), False),
    )
    for code, kind, geo, pickup in spots:
        cmd = CreateLocation(
            code,
            code,
            kind,
            can_ship=True,
            can_pickup=pickup,
            geo=geo,
            daily_capacity=(capacity or {}).get(code),
            address=Address("1 rue", code, "00000", "FR") if pickup else None,
        )
        run(create_location(cmd, uow))
    run(create_product(CreateProduct("p", "P", tuple(VariantSpec(s, s) for s in PRICES)), uow))
    uow.channel_settings.prices_by_channel[1] = dict(PRICES)
    run(upsert_view("web", ViewSpec("web", ("par", "lys", "lil")), uow, NOW))
    counts = [SetUpdate(sku, loc, n, NOW) for (sku, loc), n in (stock or {}).items()]
    if counts:
        result = run(set_inventory(counts, SYSTEM, uow, NOW))
        assert not result.errors
    uow.published.clear()
    uow.outbox.clear()
    return uow, {"test": RecordingGateway()}


def position(uow: FakeUnitOfWork, sku: str, location: str) -> PositionState:
    key = (uow.catalog.variants[sku].id, uow.locations.locations[location].id)
    return uow.inventory.positions.get(key, PositionState())


def cart(
    uow: FakeUnitOfWork,
    *lines: CartLineRequest,
    actor: Actor = STOREFRONT,
    email: str | None = "ann@example.com",
    address: Any = PARIS,
) -> CartQuote:
    return run(create_cart(CreateCart("web", tuple(lines), email, address), actor, uow, NOW))


def complete(cart_id: str, payment: PaymentDetails = OK, **kw: Any) -> CompleteCart:
    return CompleteCart(cart_id, payment, kw.pop("delivery_option", "standard"), **kw)


def assert_channel_sums_recompute(uow: FakeUnitOfWork) -> None:
    """The incrementally kept channel ATP equals a full recompute from the positions."""
    for channel_id, view in uow.channel_atp.by_channel.items():
        rows = [
            (v, uow.catalog.sku(v), loc, state.available)
            for (v, loc), state in uow.inventory.positions.items()
        ]
        locations = {loc.id: loc for loc in uow.locations.locations.values()}
        sums = channel_sums(rows, view, locations)
        for variant_id in {v for v, _ in uow.inventory.positions}:
            kept = uow.channel_atp.atp.get((channel_id, variant_id), (0, 0, 0, 0))
            expected = sums.get(variant_id, (0, 0, 0))
            assert kept[:3] == expected, (uow.catalog.sku(variant_id), kept, expected)
            assert kept[3] == published_value(expected[0], view)


def snapshot(uow: FakeUnitOfWork) -> dict[str, Any]:
    """Everything a refused checkout must leave as it was."""
    return {
        "positions": dict(uow.inventory.positions),
        "orders": dict(uow.orders.orders),
        "customers": dict(uow.customers.by_email_),
        "holds": dict(uow.stock.holds_by_id),
        "carts": {k: replace(v) for k, v in uow.carts.carts.items()},
        "counters": dict(uow.stock.counters),
        "atp": dict(uow.channel_atp.atp),
        "journal": list(uow.ledger.entries),  # nothing posted on a refused operation
    }
