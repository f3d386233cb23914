"""Pickup expiry: a pickup READY_FOR_PICKUP longer than its channel's `hold_days` expires,
its units go back to stock and are cancelled on the order (which may end CANCELLED, its
authorization released). Run by the server's sweeper (server/order_jobs.py); each
fulfillment expires in its own unit of work, so one failure does not hold the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from domain.access import Actor
from domain.errors import DomainError
from domain.orders import fulfillment_ops as ops
from domain.orders.commands import ExpirePickups
from domain.orders.delivery import PickupConfig
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.operations import apply, fulfillment_for, statuses
from domain.ports import UnitOfWork

log = logging.getLogger("orchestra.orders")
EXPIRER = Actor(name="system:pickup-expiry")
EXPIRY_BATCH = 200


async def expire_pickups(
    cmd: ExpirePickups,
    new_uow: Callable[[], UnitOfWork],
    gateways: Gateways,
    limit: int = EXPIRY_BATCH,
) -> int:
    """Expire up to `limit` pickups per channel that are past their hold; returns how many."""
    due: list[tuple[str, int]] = []
    async with new_uow() as uow:
        for view, code in await uow.channel_atp.views():
            settings = await uow.channel_settings.settings(code)
            hold_days = (settings.pickup if settings else PickupConfig()).hold_days
            found = await uow.orders.ready_pickups(
                cmd.now - timedelta(days=hold_days), limit, channel_id=view.channel_id
            )
            due.extend((fulfillment_id, hold_days) for fulfillment_id in found)
    expired = 0
    for fulfillment_id, hold_days in due:
        try:
            await expire_pickup(fulfillment_id, hold_days, new_uow(), gateways, cmd)
            expired += 1
        except DomainError as error:
            # Handed over or cancelled meanwhile, or the provider refused the release of
            # the authorization: the next sweep looks again.
            log.info("pickup %s not expired: %s", fulfillment_id, error)
    return expired


async def expire_pickup(
    fulfillment_id: str,
    hold_days: int,
    uow: UnitOfWork,
    gateways: Gateways,
    cmd: ExpirePickups,
) -> None:
    async with uow:
        order, _ = await fulfillment_for(uow, fulfillment_id, EXPIRER)
        before = statuses(order)
        effects = ops.expire_pickup(order, fulfillment_id, hold_days, cmd.now, EXPIRER.name)
        await apply(uow, order, effects, gateways, cmd.now, before)
        await uow.commit()
