"""Cart holds: `cartReserve` holds units (reserved += n) until `reservedUntil`; expired
holds return to `available` without any call.

How expiry happens without a call (docs/orders-wiring.md, "Reservations"):
- the sweeper (`release_expired_holds`, run every few seconds by the server's lifespan)
  deletes expired hold rows and gives their units back, with the channel ATP change and the
  availability event, in one transaction;
- a checkout or hold that locks a position releases the expired holds on it first, so an
  expired hold never blocks a sale even between two sweeps;
- the cart's own hold, expired or not, is released by its checkout and its units counted
  for it.
Whoever deletes a hold row gives its units back, so each hold is released exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from domain.access import Actor
from domain.errors import DomainError
from domain.inventory.ingest import PositionKey
from domain.orders import cart as carts
from domain.orders.commands import ReserveCart
from domain.orders.errors import insufficient_stock
from domain.orders.handlers.common import (
    CartQuote,
    cart_for,
    channel_settings,
    quote,
    sellable,
    sourcing_lines,
)
from domain.orders.handlers.stock import ChannelStock, channel_scope, load_stock, write_back
from domain.orders.plan import StockSnapshot
from domain.orders.sourcing import source
from domain.ports import UnitOfWork

SWEEP_BATCH = 500


async def reserve_cart(cmd: ReserveCart, actor: Actor, uow: UnitOfWork, now: datetime) -> CartQuote:
    """Hold the cart's units at the locations the channel's sourcing picks, for
    `ttl_seconds`; a new reserve replaces the cart's hold. All or nothing:
    INSUFFICIENT_STOCK per line that cannot be held."""
    async with uow:
        cart = await cart_for(uow, cmd.cart_id, actor)
        settings = await channel_settings(uow, cart.channel, actor)
        held = carts.reserve(cart, now, cmd.ttl_seconds)
        _, variants = await sellable(uow, settings, [ln.sku for ln in cart.lines])
        unsold = [ln for ln in cart.lines if ln.sku not in variants]
        if unsold:
            raise DomainError(
                [
                    insufficient_stock(("lines", ln.id), f"{ln.sku} is no longer sold here.")
                    for ln in unsold
                ]
            )
        scope = await channel_scope(uow, settings)
        holder = cart.id if cart.reserved_until is not None else None
        stock = await load_stock(uow, settings, scope, variants, now, lock=True, cart_id=holder)
        address = cart.shipping_address
        # Holds are for units on hand: no backorders, no capacity counted (nothing is
        # assigned to a location until checkout).
        plan = source(
            sourcing_lines(cart),
            stock.snapshot,
            replace(settings.sourcing, allow_backorder=False),
            address.geo if address is not None else None,
        )
        plan.require_complete({ln.id: ("lines", ln.id) for ln in cart.lines})
        holds: dict[PositionKey, int] = {}
        for (sku, location_id), units in plan.allocations().items():
            key = stock.key(sku, location_id)
            holds[key] = holds.get(key, 0) + units
            stock.change(key, reserved=units)
        assert held.reserved_until is not None
        await uow.stock.add_holds(cart.id, holds, held.reserved_until)
        await write_back(uow, stock, now, scope)
        await uow.carts.save(held, now)
        result = await quote(uow, held, settings, scope, now=now)
        await uow.commit()
    return result


async def release_cart_holds(uow: UnitOfWork, cart_id: str, now: datetime) -> None:
    """Give back what the cart holds (its lines changed), inside the caller's unit of work."""
    holds = await uow.stock.holds(cart_id)
    if holds:
        await _release(uow, {h.key for h in holds}, cart_id, now)


async def release_expired_holds(uow: UnitOfWork, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """The sweeper's step: release up to `limit` expired holds; returns how many."""
    async with uow:
        expired = await uow.stock.expired_holds(now, limit)
        if not expired:
            return 0
        states = await uow.stock.positions([], [], lock=True, include={h.key for h in expired})
        gone = await uow.stock.delete_expired([h.id for h in expired], now)
        stock = ChannelStock(StockSnapshot({}, {}), None, {}, dict(states), dict(states))
        for hold in gone:
            stock.change(hold.key, reserved=-hold.quantity)
        await write_back(uow, stock, now)
        await uow.commit()
    return len(gone)


async def _release(
    uow: UnitOfWork, keys: Iterable[PositionKey], cart_id: str, now: datetime
) -> None:
    states = await uow.stock.positions([], [], lock=True, include=keys)
    released = await uow.stock.release_holds(states, cart_id, now)
    stock = ChannelStock(StockSnapshot({}, {}), None, {}, dict(states), dict(states))
    for hold in released:
        stock.change(hold.key, reserved=-hold.quantity)
    await write_back(uow, stock, now)
