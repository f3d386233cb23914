"""Report definitions: the promise stamped on an order, the at-risk rule, ratios and the
period's bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.orders.delivery import DeliveryOptionConfig, PickupConfig, TransitBand, ready_by
from domain.orders.promises import DeliveryPromise, order_promise
from domain.reports.model import (
    FillRow,
    ReturnsRow,
    RiskReason,
    SalesRow,
    range_problem,
    risk_of,
)

OPTION = DeliveryOptionConfig(
    code="standard",
    name="Standard",
    price=Decimal("4.90"),
    handling_days=1,
    cutoff=time(14),
    timezone="Europe/Paris",
    bands=(TransitBand(None, 2, 4),),
)
NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)  # a Friday


def delivery(until: date) -> DeliveryPromise:
    return DeliveryPromise("standard", "Standard", Decimal("4.90"), until, until, 1)


def test_a_shipment_promises_the_end_of_its_latest_delivery_day_in_the_options_zone() -> None:
    promised = order_promise(delivery(date(2026, 12, 3)), OPTION, None, NOW)
    # Midnight after 3 December in Paris is 23:00 UTC on the 3rd.
    assert promised == datetime(2026, 12, 3, 23, tzinfo=UTC)
    assert promised is not None
    assert promised.tzinfo is UTC


def test_a_pickup_promises_its_ready_time_and_both_promise_the_later() -> None:
    pickup = PickupConfig()
    assert order_promise(None, None, pickup, NOW) == ready_by(pickup, NOW)
    both = order_promise(delivery(date(2026, 12, 3)), OPTION, pickup, NOW)
    assert both == datetime(2026, 12, 3, 23, tzinfo=UTC)
    assert order_promise(None, None, None, NOW) is None
    assert order_promise(delivery(date(2026, 12, 3)), None, None, NOW) is None


def test_risk_late_due_soon_and_stuck() -> None:
    an_hour = timedelta(hours=1)
    assert risk_of(NOW - an_hour, NOW, NOW, 24, 60) is RiskReason.LATE
    assert risk_of(NOW, NOW, NOW, 0, 60) is RiskReason.LATE
    assert risk_of(NOW + an_hour, NOW, NOW, 24, 60) is RiskReason.DUE_SOON
    assert risk_of(NOW + 25 * an_hour, NOW - 10 * an_hour, NOW, 24, 60) is None
    # Without a promise only the SLA counts, however old the order.
    assert risk_of(None, NOW - 2 * an_hour, NOW, 24, 60) is RiskReason.STUCK
    assert risk_of(None, NOW - timedelta(minutes=59), NOW, 24, 60) is None


def test_fill_rate_counts_only_decided_units_the_shopper_still_wanted() -> None:
    row = FillRow("web", 4, units_ordered=10, units_shipped=6, units_cancelled=3,
                  units_unfilled=2, orders_short=1)  # fmt: skip
    assert row.units_open == 1
    assert row.fill_rate == Decimal("0.7500")
    assert row.order_fill_rate == Decimal("0.7500")
    nothing = FillRow("web", 0, 0, 0, 0, 0, 0)
    assert nothing.fill_rate is None
    assert nothing.order_fill_rate is None


def test_rates_are_exact_decimals_rounded_half_even() -> None:
    assert ReturnsRow("A", 3, 1).returns_rate == Decimal("0.3333")
    assert ReturnsRow("A", 8, 1).returns_rate == Decimal("0.1250")
    assert ReturnsRow("A", 0, 0).returns_rate is None


def test_net_and_average_order_value_leave_cancelled_orders_out() -> None:
    zero = Decimal("0.00")
    row = SalesRow(None, "web", None, "EUR", 3, 1, Decimal("70.00"), zero, zero, zero,
                   Decimal("70.00"), Decimal("10.00"))  # fmt: skip
    assert row.net_total == Decimal("60.00")
    assert row.average_order_value == Decimal("30.00")


def test_a_period_is_ordered_aware_and_at_most_366_days() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert range_problem(start, start + timedelta(days=366)) is None
    assert range_problem(start, start + timedelta(days=367)) is not None
    assert range_problem(start, start) is not None
    assert range_problem(start.replace(tzinfo=None), start + timedelta(days=1)) is not None
    paris = start.astimezone(ZoneInfo("Europe/Paris"))
    assert range_problem(paris, start + timedelta(hours=1)) is None
