"""What each report means, its bounds, and the rows it answers with.

Every report except "at risk" covers the orders **placed** in a half-open range
`[start, end)` (UTC), at most `MAX_RANGE_DAYS` long: the same orders whichever report is
read, so the figures of one period add up across reports. Counts and sums are computed in
SQL (persistence/reads/reports.py); ratios are derived here from the exact integers.
docs/reports.md has the definitions in prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from domain.orders.lifecycle import FulfillmentMethod, OrderStatus

MAX_RANGE_DAYS = 366
MAX_SALES_ROWS = 5000  # 366 days x a dozen channel/source combinations
DEFAULT_ROWS = 50
MAX_ROWS = 500
MAX_WITHIN_HOURS = 24 * 30
MAX_STUCK_MINUTES = 60 * 24 * 90
RATE_PLACES = Decimal("0.0001")

# Orders that still owe the shopper a shipment (persistence/tables.py OPEN_ORDER_SQL, the
# partial index at-risk reads). READY_FOR_PICKUP kept its promise: the shopper is due.
OPEN_STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus.PENDING,
    OrderStatus.ON_HOLD,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_FULFILLMENT,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.BACKORDERED,
)


class SalesDimension(Enum):
    DAY = "DAY"
    CHANNEL = "CHANNEL"
    SOURCE_CODE = "SOURCE_CODE"


class RiskReason(Enum):
    LATE = "LATE"  # the promised time has passed and the order has not shipped
    DUE_SOON = "DUE_SOON"  # promised within the next `within_hours`
    STUCK = "STUCK"  # nothing promised, and unchanged in its status for `stuck_minutes`


@dataclass(frozen=True, slots=True)
class ReportRange:
    start: datetime
    end: datetime


def range_problem(start: datetime, end: datetime) -> str | None:
    """Why a range cannot be reported on, or None."""
    if start.tzinfo is None or end.tzinfo is None:
        return "Give times with a UTC offset."
    if end <= start:
        return "`to` must be after `from`."
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        return f"A report covers at most {MAX_RANGE_DAYS} days."
    return None


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole to four places (half-even); None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class SalesRow:
    """Orders placed, as booked at placement, per group. A dimension not grouped by is None;
    so is `source_code` for orders placed without one. Cancelled orders are counted in
    `orders` and `total` and again in `cancelled_*`, so net = total - cancelled_total."""

    day: date | None
    channel: str | None
    source_code: str | None
    currency: str
    orders: int
    cancelled_orders: int
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    cancelled_total: Decimal

    @property
    def net_total(self) -> Decimal:
        return self.total - self.cancelled_total

    @property
    def average_order_value(self) -> Decimal | None:
        """Net total over orders not cancelled, to the currency's minor unit (4 places max)."""
        kept = self.orders - self.cancelled_orders
        if kept <= 0:
            return None
        return (self.net_total / kept).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class ReturnsRow:
    """Per SKU: units returned over units shipped (or handed over) on orders placed in the
    range. Only SKUs with shipped units are rated."""

    sku: str
    units_shipped: int
    units_returned: int

    @property
    def returns_rate(self) -> Decimal | None:
        return rate(self.units_returned, self.units_shipped)


@dataclass(frozen=True, slots=True)
class FillRow:
    """Per channel. Fill rate = units shipped / (units shipped + units unfilled): of the
    units whose outcome is known and that the shopper still wanted, the share we delivered.
    Units cancelled by the shopper or staff, and pickups never collected, are demand
    withdrawn, not a failure to fill; units still open are not decided yet."""

    channel: str
    orders: int
    units_ordered: int
    units_shipped: int
    units_cancelled: int  # all cancellations, unfilled included
    units_unfilled: int  # cancelled because no location could send them
    orders_short: int  # orders with at least one unfilled unit

    @property
    def units_open(self) -> int:
        return self.units_ordered - self.units_shipped - self.units_cancelled

    @property
    def fill_rate(self) -> Decimal | None:
        return rate(self.units_shipped, self.units_shipped + self.units_unfilled)

    @property
    def order_fill_rate(self) -> Decimal | None:
        """Orders with no unfilled unit, over all orders."""
        return rate(self.orders - self.orders_short, self.orders)


@dataclass(frozen=True, slots=True)
class ShipmentTimeRow:
    """Per location and method: fulfillments shipped (SHIP) or handed over (PICKUP) of
    orders placed in the range, and the time from placing the order to that moment (the
    fulfillment's last update: SHIPPED and PICKED_UP are final)."""

    location: str
    method: FulfillmentMethod
    fulfillments: int
    average_seconds: int
    max_seconds: int


@dataclass(frozen=True, slots=True)
class AtRiskRow:
    order_id: str
    number: str
    channel: str
    status: OrderStatus
    created_at: datetime
    status_changed_at: datetime
    promised_by: datetime | None
    reason: RiskReason


def risk_of(
    promised_by: datetime | None,
    status_changed_at: datetime,
    now: datetime,
    within_hours: int,
    stuck_minutes: int,
) -> RiskReason | None:
    """The same rule the SQL applies (kept here to name it and to test it)."""
    if promised_by is not None:
        if promised_by <= now:
            return RiskReason.LATE
        return RiskReason.DUE_SOON if promised_by <= now + timedelta(hours=within_hours) else None
    if status_changed_at <= now - timedelta(minutes=stuck_minutes):
        return RiskReason.STUCK
    return None
