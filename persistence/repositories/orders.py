"""The Order aggregate in SQL: the order row and its lines, fulfillments (with their lines),
backorders, payment (with its transactions) and history.

`get`/`by_*` remember what they loaded; `save` writes only what changed since (a status
change also stamps `status_changed_at`), so an operation that moves one fulfillment writes
that fulfillment, the order row and the new history entries. History and payment
transactions are append-only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus
from domain.orders.model import FulfillmentLine, Order
from persistence import direct
from persistence.batch import insert_rows
from persistence.database import Database
from persistence.reads import raw
from persistence.repositories import order_rows as rows
from persistence.repositories.order_insert import insert_document
from persistence.tables import (
    backorders,
    channels,
    fulfillment_lines,
    fulfillments,
    order_history,
    order_lines,
    order_number_sequences,
    orders,
    payment_transactions,
    payments,
)

_o = orders.c


@dataclass(slots=True)
class _Loaded:
    """What the database holds for an order this unit of work read or wrote."""

    row: dict[str, Any]
    status: str
    lines: dict[str, tuple[Any, ...]]
    fulfillments: dict[str, tuple[Any, ...]]
    fulfillment_lines: dict[str, tuple[Any, ...]]
    backorders: tuple[Any, ...]
    payment: tuple[Any, ...] | None
    transactions: int
    history: int


def _snapshot(order: Order) -> _Loaded:
    payment = order.payment
    return _Loaded(
        row=rows.mutable_order_fields(order),
        status=order.status.value,
        lines={line.id: _state(line) for line in order.lines},
        fulfillments={f.id: _state(f, skip="lines") for f in order.fulfillments},
        fulfillment_lines={
            f.id: tuple(_state(line) for line in f.lines) for f in order.fulfillments
        },
        backorders=tuple(_state(b) for b in order.backorders),
        payment=_payment_state(order),
        transactions=len(payment.transactions) if payment is not None else 0,
        history=len(order.history),
    )


_FIELD_NAMES: dict[tuple[type, str | None], tuple[str, ...]] = {}


def _field_names(cls: type, skip: str | None) -> tuple[str, ...]:
    found = _FIELD_NAMES.get((cls, skip))
    if found is None:
        found = tuple(f.name for f in dataclasses.fields(cls) if f.name != skip)
        _FIELD_NAMES[(cls, skip)] = found
    return found


def _state(value: Any, skip: str | None = None) -> tuple[Any, ...]:
    """A line's, fulfillment's or backorder's fields as a tuple, to compare with a later
    one: `dataclasses.astuple` without its deep copies (they cost more than the order's
    insert; these fields are scalars, immutable where not, and a fulfillment's lines are
    compared on their own)."""
    return tuple(getattr(value, name) for name in _field_names(type(value), skip))


def _payment_state(order: Order) -> tuple[Any, ...] | None:
    p = order.payment
    if p is None:
        return None
    return (p.id, p.authorized, p.captured, p.refunded, p.declined, p.voided, p.closed)


class SqlOrderRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self._loaded: dict[str, _Loaded] = {}
        # Each loaded or added order's placement columns, for the lines and fulfillments
        # a later save inserts (order_rows.placement).
        self._placed: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ reads

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return await self._load(_o.id == order_id, for_update)

    async def by_number(self, number: str) -> Order | None:
        return await self._load(_o.number == number, False)

    async def by_fulfillment(
        self, fulfillment_id: str, *, for_update: bool = False
    ) -> Order | None:
        query = select(fulfillments.c.order_id).where(fulfillments.c.id == fulfillment_id)
        order_id = (await self.conn.execute(query)).scalar_one_or_none()
        return None if order_id is None else await self.get(order_id, for_update=for_update)

    async def by_external_reference(self, channel_id: int, reference: str) -> Order | None:
        return await self._load(
            (_o.channel_id == channel_id) & (_o.external_reference == reference), False
        )

    async def _load(self, where: Any, for_update: bool) -> Order | None:
        query = (
            select(orders, channels.c.code.label("channel_code"))
            .join(channels, channels.c.id == _o.channel_id)
            .where(where)
        )
        if for_update and not self.db.is_sqlite:
            query = query.with_for_update(of=orders)
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        order = rows.order_from(row, row.channel_code)
        self._placed[order.id] = rows.placement(order, row.channel_id)
        await self._load_children(order)
        self._loaded[order.id] = _snapshot(order)
        return order

    async def _load_children(self, order: Order) -> None:
        c = order.currency
        lines = await self.conn.execute(
            select(order_lines)
            .where(order_lines.c.order_id == order.id)
            .order_by(order_lines.c.position)
        )
        order.lines = [rows.line_from(r, c) for r in lines]
        f_rows = list(
            await self.conn.execute(
                select(fulfillments)
                .where(fulfillments.c.order_id == order.id)
                .order_by(fulfillments.c.position)
            )
        )
        if f_rows:
            fl = fulfillment_lines.c
            by_fulfillment: dict[str, list[Any]] = {}
            line_query = (
                select(fulfillment_lines)
                .join(fulfillments, fulfillments.c.id == fl.fulfillment_id)
                .where(fulfillments.c.order_id == order.id)
                .order_by(fl.fulfillment_id, fl.position)
            )
            for r in await self.conn.execute(line_query):
                by_fulfillment.setdefault(r.fulfillment_id, []).append(
                    FulfillmentLine(r.order_line_id, r.sku, r.quantity)
                )
            order.fulfillments = [
                rows.fulfillment_from(r, by_fulfillment.get(r.id, [])) for r in f_rows
            ]
        b = backorders.c
        order.backorders = [
            rows.backorder_from(r)
            for r in await self.conn.execute(
                select(backorders).where(b.order_id == order.id).order_by(b.position)
            )
        ]
        payment_row = (
            await self.conn.execute(select(payments).where(payments.c.order_id == order.id))
        ).first()
        if payment_row is not None:
            t = payment_transactions.c
            transactions = [
                rows.transaction_from(r, c)
                for r in await self.conn.execute(
                    select(payment_transactions)
                    .where(t.payment_id == payment_row.id)
                    .order_by(t.position)
                )
            ]
            order.payment = rows.payment_from(payment_row, transactions)
        h = order_history.c
        order.history = [
            rows.history_from(r)
            for r in await self.conn.execute(
                select(order_history).where(h.order_id == order.id).order_by(h.position)
            )
        ]

    async def with_backorders(self, skus: Iterable[str], limit: int) -> list[str]:
        b = backorders.c
        query = (
            select(b.order_id)
            .where(self.db.one_of(b.sku, sorted(set(skus))))
            .group_by(b.order_id)
            .order_by(b.order_id)
            .limit(limit)
        )
        return [r.order_id for r in await self.conn.execute(query)]

    async def ready_pickups(
        self, ready_before: datetime, limit: int, *, channel_id: int | None = None
    ) -> list[str]:
        f = fulfillments.c
        query = (
            select(f.id)
            .where(
                f.status == FulfillmentStatus.READY_FOR_PICKUP.value,
                f.method == FulfillmentMethod.PICKUP.value,
                f.ready_at < ready_before,
            )
            .order_by(f.ready_at)
            .limit(limit)
        )
        if channel_id is not None:
            query = query.join(orders, _o.id == f.order_id).where(_o.channel_id == channel_id)
        return [r.id for r in await self.conn.execute(query)]

    async def backordered_skus(self, limit: int) -> list[str]:
        b = backorders.c
        query = select(b.sku).where(b.quantity > 0).group_by(b.sku).order_by(b.sku).limit(limit)
        return [r.sku for r in await self.conn.execute(query)]

    # ------------------------------------------------------------------ writes

    async def next_number(self, channel_id: int) -> int:
        """The channel's next number, from its row in `order_number_sequences`.

        On PostgreSQL the increment commits on its own, at once (`Database.side`, a small
        pool of its own so this never waits behind the checkouts it serves): holding the channel's counter row until the checkout
        commits would let one channel take one order at a time. The price is a gap when a
        checkout fails after taking its number (by then stock, capacity and payment are
        secured: a crash or a database error). SQLite has a single writer: same transaction.
        """
        stmt = _next_number(self.db.is_sqlite)
        params = {"channel_id": channel_id}
        if self.db.is_sqlite:
            return int((await self.conn.execute(stmt, params)).scalar_one())
        async with self.db.side() as own:
            # Straight through asyncpg (no transaction: the statement commits on its own).
            statement = direct.compiled(stmt)
            found = await raw.fetch(own, statement.sql, *statement.arguments(params))
            if found is not None:
                return int(found[0][0])
            return int((await own.execute(stmt, params)).scalar_one())

    async def add(self, order: Order, *, channel_id: int, cart_id: str | None = None) -> None:
        placed = self._placed[order.id] = rows.placement(order, channel_id)
        if not self.db.is_sqlite:
            await self._add_at_once(order, channel_id, cart_id, placed)
            self._loaded[order.id] = _snapshot(order)
            return
        await self.conn.execute(insert(orders).values(rows.order_row(order, channel_id, cart_id)))
        await self._insert_many(
            order_lines,
            [rows.line_row(order.id, i, ln, placed) for i, ln in enumerate(order.lines)],
        )
        await self._insert_fulfillments(order, range(len(order.fulfillments)))
        await self._insert_many(backorders, rows.backorder_rows(order.id, order.backorders))
        if order.payment is not None:
            await self._insert_payment(order)
        await self._insert_many(order_history, rows.history_rows(order.id, order.history, 0))
        self._loaded[order.id] = _snapshot(order)

    async def _add_at_once(
        self, order: Order, channel_id: int, cart_id: str | None, placed: dict[str, Any]
    ) -> None:
        payment = order.payment
        await insert_document(
            self.conn,
            {
                "orders": (orders, [rows.order_row(order, channel_id, cart_id)]),
                "order_lines": (
                    order_lines,
                    [rows.line_row(order.id, i, ln, placed) for i, ln in enumerate(order.lines)],
                ),
                "fulfillments": (
                    fulfillments,
                    [
                        rows.fulfillment_row(order.id, i, f, placed)
                        for i, f in enumerate(order.fulfillments)
                    ],
                ),
                "fulfillment_lines": (
                    fulfillment_lines,
                    [r for f in order.fulfillments for r in rows.fulfillment_line_rows(f)],
                ),
                "backorders": (backorders, rows.backorder_rows(order.id, order.backorders)),
                "payments": (
                    payments,
                    [rows.payment_row(payment, order.updated_at)] if payment is not None else [],
                ),
                "payment_transactions": (
                    payment_transactions,
                    rows.transaction_rows(payment.id, payment.transactions, 0)
                    if payment is not None
                    else [],
                ),
                "order_history": (order_history, rows.history_rows(order.id, order.history, 0)),
            },
        )

    async def save(self, order: Order) -> None:
        loaded = self._loaded.get(order.id)
        if loaded is None:
            raise RuntimeError(f"order {order.id} saved without being loaded in this unit of work")
        now = _snapshot(order)
        if now.row != loaded.row or now.status != loaded.status:
            values = dict(now.row)
            if now.status != loaded.status:
                values["status_changed_at"] = order.updated_at
            await self.conn.execute(update(orders).where(_o.id == order.id).values(values))
        await self._save_lines(order, loaded, now)
        await self._save_fulfillments(order, loaded, now)
        if now.backorders != loaded.backorders:
            await self.conn.execute(delete(backorders).where(backorders.c.order_id == order.id))
            await self._insert_many(backorders, rows.backorder_rows(order.id, order.backorders))
        await self._save_payment(order, loaded, now)
        await self._insert_many(
            order_history, rows.history_rows(order.id, order.history, loaded.history)
        )
        self._loaded[order.id] = now

    async def _save_lines(self, order: Order, loaded: _Loaded, now: _Loaded) -> None:
        for position, line in enumerate(order.lines):
            before = loaded.lines.get(line.id)
            if before is None:
                await self._insert_many(
                    order_lines, [rows.line_row(order.id, position, line, self._placed[order.id])]
                )
            elif before != now.lines[line.id]:
                row = rows.line_row(order.id, position, line, {})
                del row["id"], row["order_id"]
                await self.conn.execute(
                    update(order_lines).where(order_lines.c.id == line.id).values(row)
                )

    async def _save_fulfillments(self, order: Order, loaded: _Loaded, now: _Loaded) -> None:
        new = [i for i, f in enumerate(order.fulfillments) if f.id not in loaded.fulfillments]
        await self._insert_fulfillments(order, new)
        for position, f in enumerate(order.fulfillments):
            before = loaded.fulfillments.get(f.id)
            if before is None:
                continue
            if before != now.fulfillments[f.id]:
                row = rows.fulfillment_row(order.id, position, f, {})
                del row["id"], row["order_id"], row["created_at"]
                await self.conn.execute(
                    update(fulfillments).where(fulfillments.c.id == f.id).values(row)
                )
            if loaded.fulfillment_lines[f.id] != now.fulfillment_lines[f.id]:
                await self.conn.execute(
                    delete(fulfillment_lines).where(fulfillment_lines.c.fulfillment_id == f.id)
                )
                await self._insert_many(fulfillment_lines, rows.fulfillment_line_rows(f))

    async def _insert_fulfillments(self, order: Order, positions: Sequence[int]) -> None:
        chosen = [(i, order.fulfillments[i]) for i in positions]
        await self._insert_many(
            fulfillments,
            [rows.fulfillment_row(order.id, i, f, self._placed[order.id]) for i, f in chosen],
        )
        await self._insert_many(
            fulfillment_lines, [r for _, f in chosen for r in rows.fulfillment_line_rows(f)]
        )

    async def _insert_payment(self, order: Order) -> None:
        payment = order.payment
        assert payment is not None
        await self.conn.execute(
            insert(payments).values(rows.payment_row(payment, order.updated_at))
        )
        await self._insert_many(
            payment_transactions, rows.transaction_rows(payment.id, payment.transactions, 0)
        )

    async def _save_payment(self, order: Order, loaded: _Loaded, now: _Loaded) -> None:
        payment = order.payment
        if payment is None:
            return
        if loaded.payment is None or loaded.payment[0] != payment.id:
            await self._insert_payment(order)
            return
        if now.payment != loaded.payment:
            await self.conn.execute(
                update(payments)
                .where(payments.c.id == payment.id)
                .values(rows.mutable_payment_fields(payment, order.updated_at))
            )
        await self._insert_many(
            payment_transactions,
            rows.transaction_rows(payment.id, payment.transactions, loaded.transactions),
        )

    async def _insert_many(self, table: Any, values: list[dict[str, Any]]) -> None:
        if not values:
            return
        if len(values) == 1:
            await self.conn.execute(insert(table).values(values[0]))
            return
        stmt, params = insert_rows(self.db, table, values)
        await self.conn.execute(stmt, params)


@cache
def _next_number(is_sqlite: bool) -> Any:
    s = order_number_sequences.c
    return (
        (sqlite if is_sqlite else postgresql)
        .insert(order_number_sequences)
        .values(channel_id=bindparam("channel_id"), last_number=1001)
        .on_conflict_do_update(
            index_elements=[s.channel_id], set_={"last_number": s.last_number + 1}
        )
        .returning(s.last_number)
    )
