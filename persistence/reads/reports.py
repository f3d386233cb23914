"""Reports over orders, each one set-based statement (SQLAlchemy Core) that runs on
PostgreSQL and SQLite; definitions in domain/reports/model.py, strategies and indexes in
docs/reports.md.

Every statement filters by placement time first, so the work grows with the orders in the
range, not with the table: orders by `created_at` (`ix_orders_created`, or
`ix_orders_channel_created` when a channel is given or bound); lines and fulfillments by the
placement time and channel they carry (migration 0012), without joining their orders. Channel and location are ids resolved by the caller
(reference data), never joined in: the index does the filtering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from domain.orders.lifecycle import (
    FULFILLMENT_DELIVERED,
    FULFILLMENT_OPEN,
    FulfillmentMethod,
    OrderStatus,
)
from domain.reports.model import (
    OPEN_STATUSES,
    AtRiskRow,
    FillRow,
    ReportRange,
    ReturnsRow,
    RiskReason,
    SalesDimension,
    SalesRow,
    ShipmentTimeRow,
)
from persistence.clock import aware
from persistence.repositories.order_rows import money
from persistence.tables import fulfillments, order_lines, orders

_o, _l, _f = orders.c, order_lines.c, fulfillments.c


@dataclass(frozen=True, slots=True)
class ReportScope:
    """Which orders a report may count: the token's binding and the caller's filters,
    already resolved to ids (None: no restriction)."""

    channel_id: int | None = None
    location_id: int | None = None  # fulfillment-based reports only
    source_code: str | None = None


async def custom_plans(conn: AsyncConnection) -> None:
    """Plan each report for its own bounds. asyncpg prepares statements and PostgreSQL
    switches a prepared statement to a generic plan after five executions on a connection;
    the generic plan cannot see how long the period is, and on a reused connection the same
    report ran 2.7x as slow (bench/reports.py, docs/reports.md). Local to the read's transaction,
    which ends when the connection goes back to the pool."""
    if conn.dialect.name == "postgresql":
        # work_mem: the hash of a period's orders (~100,000 ids) fits in memory instead
        # of spilling to disk in batches.
        await conn.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('work_mem', '32MB', true)"
            )
        )


def _utc(value: datetime) -> datetime:
    # SQLite stores naive UTC text; comparing against another offset would be wrong there.
    return value.astimezone(UTC)


def _placed_in(span: ReportRange, scope: ReportScope) -> list[ColumnElement[bool]]:
    where = [_o.created_at >= _utc(span.start), _o.created_at < _utc(span.end)]
    if scope.channel_id is not None:
        where.append(_o.channel_id == scope.channel_id)
    if scope.source_code is not None:
        where.append(_o.source_code == scope.source_code)
    return where


def _placed_rows_in(table: Any, span: ReportRange, scope: ReportScope) -> list[ColumnElement[bool]]:
    """The same orders as `_placed_in`, read from the placement columns their lines and
    fulfillments carry (migration 0012): one index range, no join to orders."""
    c = table.c
    where = [c.placed_at >= _utc(span.start), c.placed_at < _utc(span.end)]
    if scope.channel_id is not None:
        where.append(c.channel_id == scope.channel_id)
    return where


def _day(conn: AsyncConnection) -> ColumnElement[Any]:
    """The UTC calendar day of the order's placement, per dialect."""
    if conn.dialect.name == "postgresql":
        # A literal, not a parameter: the expression must be the one migration 0010 keeps
        # statistics on (st_orders_report_day), whatever plan the statement gets.
        return cast(func.timezone(literal_column("'UTC'"), _o.created_at), Date)
    return func.substr(_o.created_at, 1, 10)  # stored as 'YYYY-MM-DD HH:MM:SS...' (UTC)


def _elapsed(conn: AsyncConnection, later: Any, earlier: Any) -> tuple[Any, Any]:
    """The average and the longest number of seconds from `earlier` to `later`, per dialect.

    PostgreSQL averages the intervals (microseconds, exact) and converts only the averages:
    `extract(epoch ...)` of every row is NUMERIC since PostgreSQL 14 and was most of the
    order-to-shipment statement's work (bench/reports.py)."""
    if conn.dialect.name == "postgresql":
        taken = later - earlier
        return func.extract("epoch", func.avg(taken)), func.extract("epoch", func.max(taken))
    seconds = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.avg(seconds), func.max(seconds)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def sales(
    conn: AsyncConnection,
    span: ReportRange,
    scope: ReportScope,
    group_by: Sequence[SalesDimension],
    channel_codes: dict[int, str],
    limit: int,
) -> list[SalesRow]:
    """Orders placed in the range grouped by the dimensions asked for and the currency
    (amounts of different currencies never add up)."""
    cancelled = _o.status == OrderStatus.CANCELLED.value
    day = _day(conn).label("day") if SalesDimension.DAY in group_by else None
    channel = _o.channel_id.label("channel_id") if SalesDimension.CHANNEL in group_by else None
    source = _o.source_code.label("source_code") if SalesDimension.SOURCE_CODE in group_by else None
    keys = [k for k in (day, channel, source) if k is not None]
    query = (
        select(
            *keys,
            _o.currency,
            func.count().label("orders"),
            func.sum(case((cancelled, 1), else_=0)).label("cancelled_orders"),
            func.sum(_o.subtotal).label("subtotal"),
            func.sum(_o.discount_total).label("discount_total"),
            func.sum(_o.shipping_total).label("shipping_total"),
            func.sum(_o.tax_total).label("tax_total"),
            func.sum(_o.total).label("total"),
            func.sum(case((cancelled, _o.total), else_=literal(0))).label("cancelled_total"),
        )
        .where(*_placed_in(span, scope))
        .group_by(*keys, _o.currency)
        # Rows without a source code last on both dialects (their NULL order differs).
        .order_by(*[part for k in keys for part in (k.is_(None), k)], _o.currency)
        .limit(limit)
    )
    await custom_plans(conn)
    found = []
    for row in await conn.execute(query):
        c = row.currency
        found.append(
            SalesRow(
                day=_as_date(row.day) if day is not None else None,
                channel=channel_codes.get(row.channel_id) if channel is not None else None,
                source_code=row.source_code if source is not None else None,
                currency=c,
                orders=int(row.orders),
                cancelled_orders=int(row.cancelled_orders),
                subtotal=money(row.subtotal, c),
                discount_total=money(row.discount_total, c),
                shipping_total=money(row.shipping_total, c),
                tax_total=money(row.tax_total, c),
                total=money(row.total, c),
                cancelled_total=money(row.cancelled_total, c),
            )
        )
    return found


async def returns_by_sku(
    conn: AsyncConnection,
    span: ReportRange,
    scope: ReportScope,
    min_shipped: int,
    limit: int,
) -> list[ReturnsRow]:
    """Highest returns rate first (then most units returned, then SKU)."""
    shipped = func.sum(_l.quantity_shipped)
    returned = func.sum(_l.quantity_returned)
    query = (
        select(_l.sku, shipped.label("shipped"), returned.label("returned"))
        .where(*_placed_rows_in(order_lines, span, scope))
        .group_by(_l.sku)
        .having(shipped >= max(1, min_shipped))
        .order_by(
            (cast(returned, Float) / cast(shipped, Float)).desc(),
            returned.desc(),
            _l.sku,
        )
        .limit(limit)
    )
    await custom_plans(conn)
    return [
        ReturnsRow(row.sku, int(row.shipped), int(row.returned))
        for row in await conn.execute(query)
    ]


async def fill_rate(
    conn: AsyncConnection, span: ReportRange, scope: ReportScope, channel_codes: dict[int, str]
) -> list[FillRow]:
    # No DISTINCT aggregate and no correlated subquery over every line (the first sorts
    # every line, the second keeps PostgreSQL from scanning in parallel): an order is
    # counted at its first line (positions start at 0); orders short come from a second,
    # small aggregate over the lines with unfilled units (partial index, ~1 % of lines).
    # Lines alone (their placement columns, migration 0012): no join to orders.
    placed = _placed_rows_in(order_lines, span, scope)
    units = (
        select(
            _l.channel_id.label("channel_id"),
            func.sum(case((_l.position == 0, 1), else_=0)).label("orders"),
            func.sum(_l.quantity).label("ordered"),
            func.sum(_l.quantity_shipped).label("shipped"),
            func.sum(_l.quantity_cancelled).label("cancelled"),
            func.sum(_l.quantity_unfilled).label("unfilled"),
        )
        .where(*placed)
        .group_by(_l.channel_id)
        .subquery("units")
    )
    short = (
        select(
            _l.channel_id.label("channel_id"),
            func.count(distinct(_l.order_id)).label("short"),
        )
        .where(*placed, _l.quantity_unfilled > 0)
        .group_by(_l.channel_id)
        .subquery("short")
    )
    query = select(units, func.coalesce(short.c.short, 0).label("short")).select_from(
        units.outerjoin(short, short.c.channel_id == units.c.channel_id)
    )
    await custom_plans(conn)
    rows = [
        FillRow(
            channel=channel_codes.get(row.channel_id, str(row.channel_id)),
            orders=int(row.orders),
            units_ordered=int(row.ordered),
            units_shipped=int(row.shipped),
            units_cancelled=int(row.cancelled),
            units_unfilled=int(row.unfilled),
            orders_short=int(row.short),
        )
        for row in await conn.execute(query)
    ]
    return sorted(rows, key=lambda r: r.channel)


async def order_to_shipment(
    conn: AsyncConnection, span: ReportRange, scope: ReportScope
) -> list[ShipmentTimeRow]:
    # Fulfillments alone (their order's placement time and channel, migration 0012).
    average, longest = _elapsed(conn, _f.updated_at, _f.placed_at)
    where = [
        *_placed_rows_in(fulfillments, span, scope),
        _f.status.in_([s.value for s in FULFILLMENT_DELIVERED]),
    ]
    if scope.location_id is not None:
        where.append(_f.location_id == scope.location_id)
    query = (
        select(
            _f.location_code,
            _f.method,
            func.count().label("fulfillments"),
            average.label("average"),
            longest.label("longest"),
        )
        .where(*where)
        .group_by(_f.location_code, _f.method)
        .order_by(_f.location_code, _f.method)
    )
    await custom_plans(conn)
    return [
        ShipmentTimeRow(
            location=row.location_code,
            method=FulfillmentMethod(row.method),
            fulfillments=int(row.fulfillments),
            average_seconds=round(float(row.average)),
            max_seconds=round(float(row.longest)),
        )
        for row in await conn.execute(query)
    ]


async def orders_at_risk(
    conn: AsyncConnection,
    scope: ReportScope,
    now: datetime,
    within_hours: int,
    stuck_minutes: int,
    channel_codes: dict[int, str],
    limit: int,
) -> list[AtRiskRow]:
    """Open orders promised before `now + within_hours` (late ones included), and open
    orders promised nothing that have sat in their status for `stuck_minutes`. Most urgent
    first: promised ones by promise, then stuck ones by how long they have been stuck."""
    due = _utc(now + timedelta(hours=within_hours))
    stuck_before = _utc(now - timedelta(minutes=stuck_minutes))
    where: list[ColumnElement[bool]] = [
        _o.status.in_([s.value for s in OPEN_STATUSES]),
        or_(
            _o.promised_by <= due,
            and_(_o.promised_by.is_(None), _o.status_changed_at <= stuck_before),
        ),
    ]
    if scope.channel_id is not None:
        where.append(_o.channel_id == scope.channel_id)
    if scope.location_id is not None:
        # A store sees the orders it still has work for.
        where.append(
            exists()
            .where(_f.order_id == _o.id)
            .where(_f.location_id == scope.location_id)
            .where(_f.status.in_([s.value for s in FULFILLMENT_OPEN]))
        )
    unpromised = case((_o.promised_by.is_(None), 1), else_=0)
    query = (
        select(
            _o.id,
            _o.number,
            _o.channel_id,
            _o.status,
            _o.created_at,
            _o.status_changed_at,
            _o.promised_by,
        )
        .where(*where)
        .order_by(cast(unpromised, Integer), _o.promised_by, _o.status_changed_at, _o.id)
        .limit(limit)
    )
    await custom_plans(conn)
    found = []
    for row in await conn.execute(query):
        promised = aware(row.promised_by) if row.promised_by is not None else None
        reason = (
            RiskReason.STUCK
            if promised is None
            else RiskReason.LATE
            if promised <= now
            else RiskReason.DUE_SOON
        )
        found.append(
            AtRiskRow(
                order_id=row.id,
                number=row.number,
                channel=channel_codes.get(row.channel_id, str(row.channel_id)),
                status=OrderStatus(row.status),
                created_at=aware(row.created_at),
                status_changed_at=aware(row.status_changed_at),
                promised_by=promised,
                reason=reason,
            )
        )
    return found
