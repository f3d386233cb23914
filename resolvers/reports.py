"""Report resolvers: check the range and limits, resolve the token's binding and the
filters to ids, run one statement (persistence/reads/reports.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.reports.model import (
    MAX_ROWS,
    MAX_SALES_ROWS,
    MAX_STUCK_MINUTES,
    MAX_WITHIN_HOURS,
    AtRiskRow,
    FillRow,
    ReportRange,
    ReturnsRow,
    SalesDimension,
    SalesRow,
    ShipmentTimeRow,
    range_problem,
)
from persistence.reads import reports as reads
from persistence.reads.reports import ReportScope
from resolvers import ids
from resolvers.catalog import Money
from resolvers.context import Context
from resolvers.errors import ApiError, forbidden
from resolvers.visibility import location_filter

DEFAULT_GROUPING = (SalesDimension.DAY, SalesDimension.CHANNEL, SalesDimension.SOURCE_CODE)


@dataclass(frozen=True, slots=True)
class SalesReport:
    rows: list[SalesRow]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ReturnsReport:
    rows: list[ReturnsRow]


@dataclass(frozen=True, slots=True)
class FillReport:
    rows: list[FillRow]


@dataclass(frozen=True, slots=True)
class ShipmentTimeReport:
    rows: list[ShipmentTimeRow]


@dataclass(frozen=True, slots=True)
class AtRiskView:
    """An AtRiskRow with the order's global ID, as the schema shows it."""

    order_id: str
    number: str
    channel: str
    status: object
    created_at: datetime
    status_changed_at: datetime
    promised_by: datetime | None
    reason: object


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount, currency)


def _span(start: datetime, end: datetime) -> ReportRange:
    problem = range_problem(start, end)
    if problem is not None:
        raise ApiError(problem, "INVALID")
    return ReportRange(start, end)


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ApiError(f"`{name}` must be between {low} and {high}.", "INVALID", field=name)
    return value


def _not_a_shopper(ctx: Context) -> None:
    """Customer tokens hold orders:read to follow their own orders; a report sums
    everybody's."""
    if ctx.actor.customer is not None:
        raise forbidden("Reports are not available to customer tokens.")


async def _scope(
    ctx: Context,
    channel: str | None,
    *,
    location: str | None = None,
    source_code: str | None = None,
    by_location: bool = False,
) -> tuple[ReportScope, dict[int, str]]:
    """The ids a report is limited to: the channel asked for (a channel-bound token's own
    when it names none; naming another is refused before execution by `channel_arg`), and
    for fulfillment reports the location (a location-bound token's own)."""
    _not_a_shopper(ctx)
    ref = await ctx.reference_data()
    codes = {c.id: c.code for c in ref.channels_by_code.values()}
    wanted = channel if channel is not None else ctx.actor.channel
    channel_id = None
    if wanted is not None:
        found = ref.channels_by_code.get(wanted)
        if found is None:
            raise ApiError(f"Unknown channel {wanted!r}.", "NOT_FOUND", field="channel")
        channel_id = found.id
    location_id = None
    if by_location:
        code = location_filter(ctx, location)
        if code is not None:
            place = ref.locations_by_code.get(code)
            if place is None:
                raise ApiError(f"Unknown location {code!r}.", "NOT_FOUND", field="location")
            location_id = place.id
    return ReportScope(channel_id, location_id, source_code), codes


async def sales_report(
    ctx: Context,
    start: datetime,
    end: datetime,
    channel: str | None,
    source_code: str | None,
    group_by: Sequence[SalesDimension] | None,
) -> SalesReport:
    span = _span(start, end)
    scope, codes = await _scope(ctx, channel, source_code=source_code)
    grouping = tuple(dict.fromkeys(group_by)) if group_by is not None else DEFAULT_GROUPING
    async with ctx.db.read() as conn:
        rows = await reads.sales(conn, span, scope, grouping, codes, MAX_SALES_ROWS + 1)
    return SalesReport(rows[:MAX_SALES_ROWS], len(rows) > MAX_SALES_ROWS)


async def returns_report(
    ctx: Context,
    start: datetime,
    end: datetime,
    channel: str | None,
    min_units_shipped: int,
    first: int,
) -> ReturnsReport:
    span = _span(start, end)
    limit = _bounded(first, "first", 1, MAX_ROWS)
    least = _bounded(min_units_shipped, "minUnitsShipped", 1, 1_000_000)
    scope, _codes = await _scope(ctx, channel)
    async with ctx.db.read() as conn:
        return ReturnsReport(await reads.returns_by_sku(conn, span, scope, least, limit))


async def fill_report(
    ctx: Context, start: datetime, end: datetime, channel: str | None
) -> FillReport:
    span = _span(start, end)
    scope, codes = await _scope(ctx, channel)
    async with ctx.db.read() as conn:
        return FillReport(await reads.fill_rate(conn, span, scope, codes))


async def shipment_time_report(
    ctx: Context, start: datetime, end: datetime, channel: str | None, location: str | None
) -> ShipmentTimeReport:
    span = _span(start, end)
    scope, _codes = await _scope(ctx, channel, location=location, by_location=True)
    async with ctx.db.read() as conn:
        return ShipmentTimeReport(await reads.order_to_shipment(conn, span, scope))


async def orders_at_risk(
    ctx: Context, channel: str | None, within_hours: int, stuck_for_minutes: int, first: int
) -> list[AtRiskView]:
    within = _bounded(within_hours, "withinHours", 0, MAX_WITHIN_HOURS)
    stuck = _bounded(stuck_for_minutes, "stuckForMinutes", 0, MAX_STUCK_MINUTES)
    limit = _bounded(first, "first", 1, MAX_ROWS)
    scope, codes = await _scope(ctx, channel, by_location=True)
    async with ctx.db.read() as conn:
        rows = await reads.orders_at_risk(conn, scope, ctx.started, within, stuck, codes, limit)
    return [_at_risk(row) for row in rows]


def _at_risk(row: AtRiskRow) -> AtRiskView:
    return AtRiskView(
        ids.global_id("Order", row.order_id),
        row.number,
        row.channel,
        row.status,
        row.created_at,
        row.status_changed_at,
        row.promised_by,
        row.reason,
    )
