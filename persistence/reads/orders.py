"""Order reads for the API: the order row as a read model, its parts batched by order id
(one statement per part whatever the page size), pages with filters and row visibility."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.customers.model import Customer
from domain.locations.model import Address
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import (
    Fulfillment,
    FulfillmentLine,
    HistoryEntry,
    Order,
    OrderLine,
    OrderTotals,
)
from domain.payments.model import Payment
from persistence.repositories import order_rows as rows
from persistence.repositories.customers import customer_from
from persistence.tables import (
    channels,
    customers,
    fulfillment_lines,
    fulfillments,
    locations,
    order_history,
    order_lines,
    orders,
    payment_transactions,
    payments,
)

_o = orders.c


@dataclass(frozen=True, slots=True)
class OrderView:
    """What the Order type shows from the order row; parts come from loaders."""

    id: str
    number: str
    channel: str
    currency: str
    status: OrderStatus
    customer_id: str | None
    email: str | None
    shipping_address: Address | None
    source_code: str | None
    coupon_codes: tuple[str, ...]
    totals: OrderTotals
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FulfillmentView:
    order_id: str
    fulfillment: Fulfillment


@dataclass(frozen=True, slots=True)
class OrderScope:
    """Row visibility of a list, from the actor's bindings (domain/access.py)."""

    channel: str | None = None
    customer_email: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class OrderFilter:
    statuses: tuple[OrderStatus, ...] = ()
    channel: str | None = None
    customer_email: str | None = None
    customer_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    stuck_for_minutes: int | None = None
    source_code: str | None = None  # normalized (trimmed, upper case), as promotions compare


def view_of(order: Order) -> OrderView:
    return OrderView(
        order.id,
        order.number,
        order.channel,
        order.currency,
        order.status,
        order.customer_id,
        order.email,
        order.shipping_address,
        order.source_code,
        order.coupon_codes,
        order.totals,
        order.created_at,
        order.updated_at,
    )


def _view(row: Any) -> OrderView:
    return view_of(rows.order_from(row, row.channel_code))


def _select() -> Select[Any]:
    return select(orders, channels.c.code.label("channel_code")).join(
        channels, channels.c.id == _o.channel_id
    )


async def orders_by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, OrderView]:
    query = _select().where(_o.id.in_(list(ids)))
    return {row.id: _view(row) for row in await conn.execute(query)}


async def orders_by_numbers(conn: AsyncConnection, numbers: Sequence[str]) -> dict[str, OrderView]:
    query = _select().where(_o.number.in_(list(numbers)))
    return {row.number: _view(row) for row in await conn.execute(query)}


def _where(
    query: Select[Any], scope: OrderScope, wanted: OrderFilter, now: datetime
) -> Select[Any]:
    for channel in (scope.channel, wanted.channel):
        if channel is not None:
            query = query.where(channels.c.code == channel)
    for email in (scope.customer_email, wanted.customer_email):
        if email is not None:
            query = query.where(_o.email == email)
    if wanted.customer_id is not None:
        query = query.where(_o.customer_id == wanted.customer_id)
    if scope.location is not None:
        f = fulfillments.c
        query = query.where(
            exists()
            .where(f.order_id == _o.id)
            .where(
                f.location_id
                == select(locations.c.id)
                .where(locations.c.code == scope.location)
                .scalar_subquery()
            )
        )
    if wanted.statuses:
        query = query.where(_o.status.in_([s.value for s in wanted.statuses]))
    if wanted.source_code is not None:
        # Campaign codes compare case-insensitively (docs/promotions.md).
        query = query.where(func.upper(func.trim(_o.source_code)) == wanted.source_code)
    if wanted.created_after is not None:
        query = query.where(_o.created_at > wanted.created_after)
    if wanted.created_before is not None:
        query = query.where(_o.created_at < wanted.created_before)
    if wanted.stuck_for_minutes is not None:
        # Sitting in its current status for longer than N minutes (SLA at risk); final
        # statuses are where an order is meant to stay, so they are never stuck.
        final = (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
        query = query.where(
            _o.status_changed_at < now - timedelta(minutes=wanted.stuck_for_minutes),
            _o.status.not_in([s.value for s in final]),
        )
    return query


async def order_page(
    conn: AsyncConnection,
    scope: OrderScope,
    wanted: OrderFilter,
    after: str | None,
    limit: int,
    now: datetime,
) -> list[OrderView]:
    """Newest first: ids are time-ordered, so the id is the cursor."""
    query = _where(_select(), scope, wanted, now).order_by(_o.id.desc()).limit(limit)
    if after is not None:
        query = query.where(_o.id < after)
    return [_view(row) for row in await conn.execute(query)]


async def order_count(
    conn: AsyncConnection, scope: OrderScope, wanted: OrderFilter, now: datetime
) -> int:
    query = _where(
        select(func.count()).select_from(orders.join(channels, channels.c.id == _o.channel_id)),
        scope,
        wanted,
        now,
    )
    return int((await conn.execute(query)).scalar_one())


async def lines_of(conn: AsyncConnection, order_ids: Sequence[str]) -> dict[str, list[OrderLine]]:
    query = (
        select(order_lines, orders.c.currency)
        .join(orders, _o.id == order_lines.c.order_id)
        .where(order_lines.c.order_id.in_(list(order_ids)))
        .order_by(order_lines.c.order_id, order_lines.c.position)
    )
    found: dict[str, list[OrderLine]] = {}
    for row in await conn.execute(query):
        found.setdefault(row.order_id, []).append(rows.line_from(row, row.currency))
    return found


async def fulfillments_of(
    conn: AsyncConnection, order_ids: Sequence[str]
) -> dict[str, list[FulfillmentView]]:
    f = fulfillments.c
    return _group(await _fulfillments(conn, f.order_id.in_(list(order_ids))))


async def fulfillments_by_ids(
    conn: AsyncConnection, ids: Sequence[str]
) -> dict[str, FulfillmentView]:
    found = await _fulfillments(conn, fulfillments.c.id.in_(list(ids)))
    return {view.fulfillment.id: view for view in found}


def _group(views: list[FulfillmentView]) -> dict[str, list[FulfillmentView]]:
    grouped: dict[str, list[FulfillmentView]] = {}
    for view in views:
        grouped.setdefault(view.order_id, []).append(view)
    return grouped


async def _fulfillments(conn: AsyncConnection, where: Any) -> list[FulfillmentView]:
    f, fl = fulfillments.c, fulfillment_lines.c
    # Both statements share the same predicate: lines of exactly these fulfillments.
    f_rows = list(
        await conn.execute(select(fulfillments).where(where).order_by(f.order_id, f.position))
    )
    if not f_rows:
        return []
    line_rows = await conn.execute(
        select(fulfillment_lines)
        .where(fl.fulfillment_id.in_([r.id for r in f_rows]))
        .order_by(fl.fulfillment_id, fl.position)
    )
    lines: dict[str, list[FulfillmentLine]] = {}
    for r in line_rows:
        lines.setdefault(r.fulfillment_id, []).append(
            FulfillmentLine(r.order_line_id, r.sku, r.quantity)
        )
    return [
        FulfillmentView(r.order_id, rows.fulfillment_from(r, lines.get(r.id, []))) for r in f_rows
    ]


async def payments_of(conn: AsyncConnection, order_ids: Sequence[str]) -> dict[str, list[Payment]]:
    p_rows = list(
        await conn.execute(
            select(payments)
            .where(payments.c.order_id.in_(list(order_ids)))
            .order_by(payments.c.created_at)
        )
    )
    if not p_rows:
        return {}
    t = payment_transactions.c
    currency = {r.id: r.currency for r in p_rows}
    transactions: dict[str, list[Any]] = {}
    for r in await conn.execute(
        select(payment_transactions)
        .where(t.payment_id.in_(list(currency)))
        .order_by(t.payment_id, t.position)
    ):
        transactions.setdefault(r.payment_id, []).append(
            rows.transaction_from(r, currency[r.payment_id])
        )
    found: dict[str, list[Payment]] = {}
    for r in p_rows:
        found.setdefault(r.order_id, []).append(rows.payment_from(r, transactions.get(r.id, [])))
    return found


async def history_of(
    conn: AsyncConnection, order_ids: Sequence[str]
) -> dict[str, list[HistoryEntry]]:
    h = order_history.c
    query = (
        select(order_history)
        .where(h.order_id.in_(list(order_ids)))
        .order_by(h.order_id, h.position)
    )
    found: dict[str, list[HistoryEntry]] = {}
    for row in await conn.execute(query):
        found.setdefault(row.order_id, []).append(rows.history_from(row))
    return found


async def customers_by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Customer]:
    rows_ = await conn.execute(select(customers).where(customers.c.id.in_(list(ids))))
    return {row.id: customer_from(row) for row in rows_}


async def customers_by_emails(conn: AsyncConnection, emails: Sequence[str]) -> dict[str, Customer]:
    rows_ = await conn.execute(select(customers).where(customers.c.email.in_(list(emails))))
    return {row.email: customer_from(row) for row in rows_}
