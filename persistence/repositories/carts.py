"""Carts and their lines. A cart is small and edited whole: `save` rewrites its lines."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.orders.cart import Cart, CartLine
from domain.orders.lifecycle import FulfillmentMethod
from persistence import direct
from persistence.batch import insert_rows
from persistence.clock import aware
from persistence.database import Database
from persistence.repositories.order_rows import address_from, address_json
from persistence.tables import cart_lines, carts, channels

_c = carts.c
_SAVE = update(carts).where(_c.id == bindparam("k_id"))


class SqlCartRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self._lines: dict[str, tuple[CartLine, ...]] = {}

    async def get(self, cart_id: str, *, for_update: bool = False) -> Cart | None:
        """The cart and its lines in one statement (a cart row per line)."""
        query = _cart_query(for_update and not self.db.is_sqlite)
        found = await direct.rows(self.conn, query, {"cart_id": cart_id})
        if not found:
            return None
        row = found[0]
        lines = tuple(
            CartLine(
                r.line_id, r.sku, r.quantity, FulfillmentMethod(r.method), r.pickup_location_id
            )
            for r in found
            if r.line_id is not None
        )
        self._lines[cart_id] = lines
        return Cart(
            id=row.id,
            channel=row.channel_code,
            currency=row.currency,
            lines=lines,
            coupon_codes=tuple(row.coupon_codes or ()),
            shipping_address=address_from(row.shipping_address),
            customer_id=row.customer_id,
            email=row.email,
            reserved_until=aware(row.reserved_until) if row.reserved_until else None,
            next_line_number=row.next_line_number,
            completed=row.order_id is not None,
            order_id=row.order_id,
            source_code=row.source_code,
        )

    async def add(self, cart: Cart, now: datetime) -> None:
        channel_id = (
            await self.conn.execute(select(channels.c.id).where(channels.c.code == cart.channel))
        ).scalar_one()
        await self.conn.execute(
            insert(carts).values(
                id=cart.id,
                channel_id=channel_id,
                currency=cart.currency,
                created_at=now,
                **_fields(cart, now),
            )
        )
        await self._write_lines(cart)

    async def save(self, cart: Cart, now: datetime) -> None:
        # SET follows the parameters' keys (the cart's columns): one statement, built once.
        params = {"k_id": cart.id, **_fields(cart, now)}
        if await direct.execute(self.conn, _SAVE, params, column_keys=True) is None:
            await self.conn.execute(_SAVE, params)
        if self._lines.get(cart.id) != cart.lines:
            await self.conn.execute(delete(cart_lines).where(cart_lines.c.cart_id == cart.id))
            await self._write_lines(cart)

    async def _write_lines(self, cart: Cart) -> None:
        values = [
            {
                "cart_id": cart.id,
                "id": line.id,
                "position": i,
                "sku": line.sku,
                "quantity": line.quantity,
                "method": line.method.value,
                "pickup_location_id": line.pickup_location_id,
            }
            for i, line in enumerate(cart.lines)
        ]
        self._lines[cart.id] = cart.lines
        if values:
            stmt, params = insert_rows(self.db, cart_lines, values)
            await self.conn.execute(stmt, params)


def _fields(cart: Cart, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": cart.customer_id,
        "email": cart.email,
        "shipping_address": address_json(cart.shipping_address),
        "coupon_codes": list(cart.coupon_codes),
        "reserved_until": cart.reserved_until,
        "next_line_number": cart.next_line_number,
        "order_id": cart.order_id,
        "source_code": cart.source_code,
        "updated_at": now,
    }


@cache
def _cart_query(lock: bool) -> Any:
    """The cart (`cart_id`) and its lines, a cart row per line; built once per lock mode."""
    cl = cart_lines.c
    query = (
        select(
            carts,
            channels.c.code.label("channel_code"),
            cl.id.label("line_id"),
            cl.sku,
            cl.quantity,
            cl.method,
            cl.pickup_location_id,
        )
        .join(channels, channels.c.id == _c.channel_id)
        .outerjoin(cart_lines, cl.cart_id == _c.id)
        .where(_c.id == bindparam("cart_id"))
        .order_by(cl.position)
    )
    return query.with_for_update(of=carts) if lock else query
