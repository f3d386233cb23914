"""Report types and the root fields that read them (docs/reports.md). Rows come from
domain/reports/model.py; amounts are Money (Decimal, with the row's currency)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from domain.reports.model import FillRow, ReturnsRow, SalesRow
from domain.reports.model import RiskReason as DomainRiskReason
from domain.reports.model import SalesDimension as DomainSalesDimension
from resolvers import reports as r
from schema.carts import FulfillmentMethod
from schema.common import Info, Money
from schema.orders import OrderStatus
from schema.policy import PUBLIC, guard, needs

SalesDimension = strawberry.enum(
    DomainSalesDimension, name="SalesDimension", description="What sales rows are grouped by."
)
OrderRiskReason = strawberry.enum(DomainRiskReason, name="OrderRiskReason")

# Money figures: finance only (admin tokens; storefront, partner and customer tokens cannot
# hold finance:read). They add up every location's orders: no location-bound token.
FINANCE = needs("finance:read", no_location_binding=True, channel_arg="channel")
# Operations over a channel's orders (fill rate): staff reading orders, not a store.
OPERATIONS = needs("orders:read", "finance:read", no_location_binding=True, channel_arg="channel")
# Fulfillment work: a store or 3PL may read its own location's figures.
WORK = needs("orders:read", "fulfillment:write", "finance:read", channel_arg="channel")


def _money(row: SalesRow, amount: Decimal) -> Money:
    return r.money(amount, row.currency)  # type: ignore[return-value]


@guard(
    day=PUBLIC,
    channel=PUBLIC,
    sourceCode=PUBLIC,
    currency=PUBLIC,
    orders=PUBLIC,
    cancelledOrders=PUBLIC,
    subtotal=PUBLIC,
    discountTotal=PUBLIC,
    shippingTotal=PUBLIC,
    taxTotal=PUBLIC,
    total=PUBLIC,
    cancelledTotal=PUBLIC,
    netTotal=PUBLIC,
    averageOrderValue=PUBLIC,
)
@strawberry.type(
    description="Orders placed in the range, as booked at placement, per group. A dimension "
    "not grouped by is null; so is sourceCode for orders placed without one."
)
class SalesReportRow:
    day: date | None = strawberry.field(description="UTC calendar day of placement.")
    channel: str | None
    source_code: str | None
    currency: str
    orders: int = strawberry.field(description="Orders placed, cancelled ones included.")
    cancelled_orders: int

    @strawberry.field(description="Goods before discounts (as the prices were entered).")
    def subtotal(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.subtotal)

    @strawberry.field
    def discount_total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.discount_total)

    @strawberry.field
    def shipping_total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.shipping_total)

    @strawberry.field
    def tax_total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.tax_total)

    @strawberry.field(description="What the shoppers were charged, cancelled orders included.")
    def total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.total)

    @strawberry.field(description="Total of the orders cancelled since.")
    def cancelled_total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.cancelled_total)

    @strawberry.field(description="total - cancelledTotal (returns are in the ledger).")
    def net_total(root: strawberry.Parent[SalesRow]) -> Money:  # type: ignore[misc]
        return _money(root, root.net_total)

    @strawberry.field(description="netTotal per order not cancelled; null without one.")
    def average_order_value(root: strawberry.Parent[SalesRow]) -> Money | None:  # type: ignore[misc]
        value = root.average_order_value
        return None if value is None else _money(root, value)


@guard(rows=PUBLIC, truncated=PUBLIC)
@strawberry.type
class SalesReportResult:
    rows: list[SalesReportRow]
    truncated: bool = strawberry.field(
        description="More groups exist than the row limit: narrow the range or the grouping."
    )


@guard(sku=PUBLIC, unitsShipped=PUBLIC, unitsReturned=PUBLIC, returnsRate=PUBLIC)
@strawberry.type(description="Units returned over units shipped, for orders placed in the range.")
class ReturnsRateRow:
    sku: str
    units_shipped: int
    units_returned: int

    @strawberry.field(description="unitsReturned / unitsShipped, 4 decimal places.")
    def returns_rate(root: strawberry.Parent[ReturnsRow]) -> Decimal | None:  # type: ignore[misc]
        return root.returns_rate


@guard(rows=PUBLIC)
@strawberry.type
class ReturnsRateReport:
    rows: list[ReturnsRateRow]


@guard(
    channel=PUBLIC,
    orders=PUBLIC,
    unitsOrdered=PUBLIC,
    unitsShipped=PUBLIC,
    unitsCancelled=PUBLIC,
    unitsUnfilled=PUBLIC,
    unitsOpen=PUBLIC,
    ordersShort=PUBLIC,
    fillRate=PUBLIC,
    orderFillRate=PUBLIC,
)
@strawberry.type(description="Per channel, for orders placed in the range.")
class FillRateRow:
    channel: str
    orders: int
    units_ordered: int
    units_shipped: int = strawberry.field(description="Shipped or handed over at pickup.")
    units_cancelled: int = strawberry.field(description="Every cancellation, unfilled included.")
    units_unfilled: int = strawberry.field(
        description="Cancelled because no location could send them."
    )
    orders_short: int = strawberry.field(description="Orders with at least one unfilled unit.")

    @strawberry.field(description="Not shipped and not cancelled yet.")
    def units_open(root: strawberry.Parent[FillRow]) -> int:  # type: ignore[misc]
        return root.units_open

    @strawberry.field(
        description="unitsShipped / (unitsShipped + unitsUnfilled): shopper cancellations and "
        "open units left out. Null when nothing is decided yet."
    )
    def fill_rate(root: strawberry.Parent[FillRow]) -> Decimal | None:  # type: ignore[misc]
        return root.fill_rate

    @strawberry.field(description="Share of orders without an unfilled unit.")
    def order_fill_rate(root: strawberry.Parent[FillRow]) -> Decimal | None:  # type: ignore[misc]
        return root.order_fill_rate


@guard(rows=PUBLIC)
@strawberry.type
class FillRateReport:
    rows: list[FillRateRow]


@guard(
    location=PUBLIC,
    method=PUBLIC,
    fulfillments=PUBLIC,
    averageSeconds=PUBLIC,
    maxSeconds=PUBLIC,
)
@strawberry.type(
    description="Per location and method: fulfillments shipped or picked up, of orders placed "
    "in the range, and the time from placing the order to that moment."
)
class OrderToShipmentRow:
    location: str
    method: FulfillmentMethod  # type: ignore[valid-type]
    fulfillments: int
    average_seconds: int
    max_seconds: int


@guard(rows=PUBLIC)
@strawberry.type
class OrderToShipmentReport:
    rows: list[OrderToShipmentRow]


@guard(
    orderId=PUBLIC,
    number=PUBLIC,
    channel=PUBLIC,
    status=PUBLIC,
    createdAt=PUBLIC,
    statusChangedAt=PUBLIC,
    promisedBy=PUBLIC,
    reason=PUBLIC,
)
@strawberry.type(description="An open order that may miss, or has missed, what it promised.")
class OrderAtRisk:
    order_id: strawberry.ID = strawberry.field(description="The Order's global ID.")
    number: str
    channel: str
    status: OrderStatus  # type: ignore[valid-type]
    created_at: datetime
    status_changed_at: datetime
    promised_by: datetime | None
    reason: OrderRiskReason  # type: ignore[valid-type]


@guard(
    salesReport=FINANCE,
    returnsRateReport=FINANCE,
    fillRateReport=OPERATIONS,
    orderToShipmentReport=WORK,
    ordersAtRisk=WORK,
)
@strawberry.type
class ReportsQuery:
    @strawberry.field(
        description="Sales of orders placed in [from, to) (at most 366 days), grouped by the "
        "dimensions given (default DAY, CHANNEL, SOURCE_CODE) and always by currency."
    )
    async def sales_report(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        channel: str | None = None,
        source_code: str | None = None,
        group_by: list[SalesDimension] | None = None,  # type: ignore[valid-type]
    ) -> SalesReportResult:
        return await r.sales_report(  # type: ignore[return-value]
            info.context, from_, to, channel, source_code, group_by
        )

    @strawberry.field(
        description="Returns rate by SKU for orders placed in [from, to), highest first."
    )
    async def returns_rate_report(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        channel: str | None = None,
        min_units_shipped: int = 1,
        first: int = 50,
    ) -> ReturnsRateReport:
        return await r.returns_report(  # type: ignore[return-value]
            info.context, from_, to, channel, min_units_shipped, first
        )

    @strawberry.field(description="Fill rate per channel for orders placed in [from, to).")
    async def fill_rate_report(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        channel: str | None = None,
    ) -> FillRateReport:
        return await r.fill_report(info.context, from_, to, channel)  # type: ignore[return-value]

    @strawberry.field(
        description="Time from order to shipment per location, for orders placed in [from, to). "
        "A location-bound token reads its own location."
    )
    async def order_to_shipment_report(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        channel: str | None = None,
        location: str | None = None,
    ) -> OrderToShipmentReport:
        return await r.shipment_time_report(  # type: ignore[return-value]
            info.context, from_, to, channel, location
        )

    @strawberry.field(
        description="Open orders promised within `withinHours` (late ones first), and open "
        "orders promised nothing unchanged for `stuckForMinutes`. A location-bound token "
        "reads the orders it still has work for."
    )
    async def orders_at_risk(
        self,
        info: Info,
        channel: str | None = None,
        within_hours: int = 24,
        stuck_for_minutes: int = 1440,
        first: int = 50,
    ) -> list[OrderAtRisk]:
        return await r.orders_at_risk(  # type: ignore[return-value]
            info.context, channel, within_hours, stuck_for_minutes, first
        )
