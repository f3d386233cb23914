"""Plain factory functions for order tests (no fixtures): a small network, a priced and
sourced order placed with or without a payment."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.locations.model import Address, GeoPoint, Location, LocationKind
from domain.orders.effects import Capture, Effects, Refund
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.model import Order
from domain.orders.placement import LineChoice, NewOrder, place_order
from domain.orders.plan import IncomingStock, SourcingLine, StockSnapshot
from domain.orders.pricing import PricingLine, price_lines
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SourcingConfig
from domain.orders.tax import TaxRule, TaxTable
from domain.payments.model import (
    Payment,
    authorized_payment,
    record_capture,
    record_refund,
    record_void,
)
from domain.payments.ports import GatewayOutcome, GatewayResult

SHIP, PICKUP = FulfillmentMethod.SHIP, FulfillmentMethod.PICKUP
T0 = datetime(2030, 1, 7, 9, tzinfo=UTC)
HOME = Address("10 rue de la Paix", "Paris", "75002", "FR", geo=GeoPoint(48.8686, 2.3314))
TAXES = TaxTable(prices_include_tax=True, rules=(TaxRule("FR", Decimal("0.20")),))
PRICES = {"A": Decimal("19.99"), "B": Decimal("5.00"), "C": Decimal("120.00")}

STORE = Location(
    1, "PAR", "Paris store", LocationKind.STORE, GeoPoint(48.87, 2.33), True, True, None, 0
)
LYON = Location(
    2, "LYS", "Lyon DC", LocationKind.WAREHOUSE, GeoPoint(45.76, 4.84), True, False, None, 0
)
LILLE = Location(
    3, "LIL", "Lille DC", LocationKind.WAREHOUSE, GeoPoint(50.63, 3.06), True, False, None, 0
)
NETWORK = {loc.id: loc for loc in (STORE, LYON, LILLE)}


def ids(prefix: str = "id") -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def stock(
    available: dict[tuple[str, int], int], incoming: Sequence[IncomingStock] = ()
) -> StockSnapshot:
    return StockSnapshot(NETWORK, available, tuple(incoming))


def approved(amount: Decimal, order_id: str = "o1") -> Payment:
    result = GatewayResult(GatewayOutcome.APPROVED, "test_auth_1")
    return authorized_payment("p1", order_id, "test", "EUR", amount, result, T0)


def order_with(
    lines: Sequence[tuple[str, int] | tuple[str, int, int]],
    available: dict[tuple[str, int], int],
    *,
    paid: bool = True,
    shipping: Decimal = Decimal("4.90"),
    config: SourcingConfig | None = None,
    incoming: Sequence[IncomingStock] = (),
    actor: str | None = "customer:c1",
) -> tuple[Order, Effects]:
    """An order for (sku, quantity[, pickup location id]) lines, sourced from `available`."""
    pricing = [
        PricingLine(str(i), spec[0], spec[1], PRICES[spec[0]]) for i, spec in enumerate(lines)
    ]
    sourcing = [
        SourcingLine(
            str(i),
            spec[0],
            spec[1],
            PICKUP if len(spec) == 3 else SHIP,
            spec[2] if len(spec) == 3 else None,
        )
        for i, spec in enumerate(lines)
    ]
    any_ship = any(len(spec) == 2 for spec in lines)
    totals = price_lines(
        pricing,
        currency="EUR",
        taxes=TAXES,
        destination_country="FR",
        shipping=shipping if any_ship else Decimal(0),
    )
    plan = source(sourcing, stock(available, incoming), config or SourcingConfig(), HOME.geo)
    choices = {s.line_id: LineChoice(s.method, s.pickup_location_id) for s in sourcing}
    new = NewOrder("o1", "1001", "web", T0, actor, customer_id="c1", shipping_address=HOME)
    payment = approved(totals.total) if paid else None
    return place_order(new, totals, choices, plan, ids("x"), payment)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def on(day: int) -> date:
    return date(2030, 1, day)


def settle(order: Order, effects: Effects) -> Effects:
    """What the handler does after an operation: run its payment actions at the gateway (here
    always approved) and record them on the order's payment."""
    payment = order.payment
    for action in effects.payments:
        assert payment is not None
        ok = GatewayResult(GatewayOutcome.APPROVED, f"test_{type(action).__name__}")
        if isinstance(action, Capture):
            record_capture(payment, action.amount, ok, T0)
        elif isinstance(action, Refund):
            record_refund(payment, action.amount, ok, T0)
        else:
            record_void(payment, ok, T0)
    return effects
