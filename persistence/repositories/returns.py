"""Returns and their lines: rows <-> domain `Return`, and the two conditional writes that
make receiving and refunding happen once (docs/returns.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.money import round_money
from domain.returns.model import Disposition, ExchangeLine, Return, ReturnLine, ReturnStatus
from persistence.clock import aware
from persistence.tables import orders, return_lines, returns

_r = returns.c
_l = return_lines.c


def _line(row: Any) -> ReturnLine:
    return ReturnLine(
        order_line_id=row.order_line_id,
        sku=row.sku,
        quantity=row.quantity,
        reason=row.reason,
        received=row.received,
        disposition=Disposition(row.disposition) if row.disposition is not None else None,
    )


def _return(row: Any, lines: Sequence[ReturnLine]) -> Return:
    exchange = tuple(
        ExchangeLine(e["order_line_id"], e["sku"], int(e["quantity"]))
        for e in row.exchange_lines or []
    )
    return Return(
        id=int(row.id),
        order_number=row.order_number,
        order_id=row.order_id,
        currency=row.currency,
        status=ReturnStatus(row.status),
        lines=tuple(lines),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        location=row.location_code,
        received_at_location=row.received_at_location,
        exchange_lines=exchange,
        exchange_order_id=row.exchange_order_id,
        refund=round_money(Decimal(row.refund), row.currency) if row.refund is not None else None,
    )


async def load_returns(conn: AsyncConnection, where: Any) -> list[Return]:
    """Returns matching `where` (on the returns table), oldest first, lines included:
    two statements whatever the number of returns."""
    rows = list(await conn.execute(select(returns).where(where).order_by(_r.id)))
    if not rows:
        return []
    ids = [int(row.id) for row in rows]
    by_return: dict[int, list[ReturnLine]] = {i: [] for i in ids}
    query = select(return_lines).where(_l.return_id.in_(ids)).order_by(_l.return_id, _l.position)
    for line in await conn.execute(query):
        by_return[int(line.return_id)].append(_line(line))
    return [_return(row, by_return[int(row.id)]) for row in rows]


def group_by_order(found: Iterable[Return]) -> dict[str, list[Return]]:
    grouped: dict[str, list[Return]] = {}
    for ret in found:
        assert ret.order_id is not None
        grouped.setdefault(ret.order_id, []).append(ret)
    return grouped


async def returns_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Return]:
    return {r.id: r for r in await load_returns(conn, _r.id.in_(list(ids))) if r.id is not None}


async def returns_of_orders(
    conn: AsyncConnection, order_ids: Sequence[str]
) -> dict[str, list[Return]]:
    return group_by_order(await load_returns(conn, _r.order_id.in_(list(order_ids))))


async def returns_of_customers(
    conn: AsyncConnection, customer_ids: Sequence[str]
) -> dict[str, list[Return]]:
    """Every return of each customer's orders, oldest first."""
    owners = select(orders.c.id, orders.c.customer_id).where(
        orders.c.customer_id.in_(list(customer_ids))
    )
    customer_of = {row.id: row.customer_id for row in await conn.execute(owners)}
    if not customer_of:
        return {}
    grouped: dict[str, list[Return]] = {}
    for ret in await load_returns(conn, _r.order_id.in_(list(customer_of))):
        grouped.setdefault(customer_of[ret.order_id], []).append(ret)
    return grouped


class SqlReturnRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, return_id: int) -> Return | None:
        found = await load_returns(self.conn, _r.id == return_id)
        return found[0] if found else None

    async def of_order(self, order_id: str) -> list[Return]:
        return await load_returns(self.conn, _r.order_id == order_id)

    async def add(self, ret: Return, now: datetime) -> Return:
        result = await self.conn.execute(
            insert(returns)
            .values(
                order_id=ret.order_id,
                order_number=ret.order_number,
                currency=ret.currency,
                status=ret.status.value,
                location_code=ret.location,
                received_at_location=ret.received_at_location,
                refund=ret.refund,
                exchange_order_id=ret.exchange_order_id,
                exchange_lines=[
                    {"order_line_id": e.order_line_id, "sku": e.sku, "quantity": e.quantity}
                    for e in ret.exchange_lines
                ],
                created_at=ret.created_at,
                updated_at=now,
            )
            .returning(_r.id)
        )
        return_id = int(result.scalar_one())
        await self.conn.execute(
            insert(return_lines),
            [
                {
                    "return_id": return_id,
                    "position": position,
                    "order_line_id": line.order_line_id,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "reason": line.reason,
                    "received": line.received,
                    "disposition": line.disposition.value if line.disposition else None,
                }
                for position, line in enumerate(ret.lines)
            ],
        )
        stored = await self.get(return_id)
        assert stored is not None
        return stored

    async def save_receipt(self, ret: Return, now: datetime) -> bool:
        moved = await self.conn.execute(
            update(returns)
            .where(_r.id == ret.id, _r.status == ReturnStatus.REQUESTED.value)
            .values(
                status=ret.status.value,
                received_at_location=ret.received_at_location,
                updated_at=now,
            )
        )
        if moved.rowcount != 1:
            return False
        for position, line in enumerate(ret.lines):
            await self.conn.execute(
                update(return_lines)
                .where(_l.return_id == ret.id, _l.position == position)
                .values(
                    received=line.received,
                    disposition=line.disposition.value if line.disposition else None,
                )
            )
        return True

    async def mark_refunded(self, return_id: int, amount: Decimal, now: datetime) -> bool:
        moved = await self.conn.execute(
            update(returns)
            .where(_r.id == return_id, _r.status == ReturnStatus.RECEIVED.value)
            .values(status=ReturnStatus.REFUNDED.value, refund=amount, updated_at=now)
        )
        return moved.rowcount == 1
