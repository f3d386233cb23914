"""Backorder release: when stock arrives for a SKU orders wait for, their backordered units
are sourced over the channel's locked stock and become fulfillments (BACKORDERED ->
CONFIRMED); what is still short stays backordered.

A job, not part of the inventory write that brought the stock: the write locks positions
first and an order must be locked before its positions (domain/orders/ports.py), an import
of 10,000 counts must not re-source orders inside its transaction, and one order that
cannot be re-sourced must not refuse a stock count. The inventory mutations ring the
release job after they commit, and a periodic sweep retries every SKU still backordered
(a crash between the two, stock written by another process), so a release is late by at
most one sweep, never lost. Each order is released in its own unit of work, oldest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from domain.access import Actor
from domain.ids import new_id
from domain.orders.commands import ReleaseBackorders
from domain.orders.effects import Effects
from domain.orders.fulfillment_ops import backordered_lines, release_backorders
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.operations import apply, statuses, within_capacity
from domain.orders.handlers.stock import channel_scope, load_stock
from domain.orders.model import Order
from domain.orders.plan import StockSnapshot
from domain.orders.sourcing import source
from domain.ports import UnitOfWork

RELEASER = Actor(name="system:backorder-release")
RELEASE_BATCH = 200


async def release_backorders_of(
    cmd: ReleaseBackorders,
    new_uow: Callable[[], UnitOfWork],
    gateways: Gateways,
    now: datetime,
    limit: int = RELEASE_BATCH,
) -> int:
    """Try the oldest `limit` orders waiting for these SKUs; returns how many got units."""
    if not cmd.skus:
        return 0
    async with new_uow() as uow:
        waiting = await uow.orders.with_backorders(cmd.skus, limit)
    released = 0
    for order_id in waiting:
        released += await release_order_backorders(order_id, new_uow(), gateways, now)
    return released


async def backordered_skus(new_uow: Callable[[], UnitOfWork], limit: int) -> Sequence[str]:
    async with new_uow() as uow:
        return await uow.orders.backordered_skus(limit)


async def release_order_backorders(
    order_id: str, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> int:
    """Source one order's backordered units over locked stock; 1 when some were released.
    An order on hold waits (its stock goes to the next order in line)."""
    async with uow:
        order = await uow.orders.get(order_id, for_update=True)
        if order is None or not order.backorders or order.hold_reason is not None:
            return 0
        settings = await uow.channel_settings.settings(order.channel)
        if settings is None:
            return 0
        lines = backordered_lines(order)
        variants = await uow.catalog.variants_by_sku({line.sku for line in lines})
        scope = await channel_scope(uow, settings)
        stock = await load_stock(uow, settings, scope, variants, now, lock=True)
        # Only units on hand now: a backorder is never moved to other incoming supply.
        config = replace(settings.sourcing, allow_backorder=False)
        address = order.shipping_address
        destination = address.geo if address is not None else None

        def release(attempt: Order, snapshot: StockSnapshot) -> Effects:
            plan = source(
                lines,
                snapshot,
                config,
                destination,
                exclude_locations=frozenset(attempt.rejected_location_ids),
            )
            return release_backorders(attempt, plan, now, RELEASER.name, new_id)

        before = statuses(order)
        order, effects = await within_capacity(uow, order, stock.snapshot, now.date(), release)
        if not effects.stock:
            return 0  # nothing on hand for it yet; the sweep tries again
        await apply(uow, order, effects, gateways, now, before, stock)
        await uow.commit()
    return 1
