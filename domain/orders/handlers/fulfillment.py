"""Store and warehouse operations on one fulfillment: accept, pick, pack, ship (capture the
parcel's share, units leave onHand through the journal), ready for pickup (a code), picked
up (code checked, wrong attempts counted even though the handover is refused), a new
pickup code, and reject (re-sourced to the next best location within capacity).

Each runs in one unit of work: the order locked first (NOT_FOUND outside the token's
channel or location), the pure operation (domain/orders/fulfillment_ops.py), then its
effects applied (operations.apply) and the order saved with its events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.access import Actor
from domain.errors import DomainError
from domain.ids import new_id
from domain.orders import fulfillment_ops as ops
from domain.orders.commands import (
    AcceptFulfillment,
    ConfirmPickup,
    MarkReadyForPickup,
    PackFulfillment,
    PickFulfillment,
    RejectFulfillment,
    ShipFulfillment,
)
from domain.orders.effects import Effects
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.operations import (
    apply,
    finish,
    fulfillment_for,
    not_visible,
    statuses,
    within_capacity,
)
from domain.orders.handlers.stock import channel_scope, load_stock
from domain.orders.model import Order
from domain.orders.pickup import new_pickup_code
from domain.orders.plan import StockSnapshot
from domain.ports import UnitOfWork

Operation = Callable[[Order, str], Effects]


async def _run(
    fulfillment_id: str,
    actor: Actor,
    uow: UnitOfWork,
    gateways: Gateways,
    now: datetime,
    operate: Operation,
) -> Order:
    async with uow:
        order, _ = await fulfillment_for(uow, fulfillment_id, actor)
        before = statuses(order)
        effects = operate(order, fulfillment_id)
        await apply(uow, order, effects, gateways, now, before)
        await uow.commit()
    return order


async def accept_fulfillment(
    cmd: AcceptFulfillment, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """The location takes the work (ASSIGNED -> ACCEPTED)."""
    return await _run(
        cmd.fulfillment_id,
        actor,
        uow,
        gateways,
        now,
        lambda o, f: ops.accept(o, f, now, actor.name),
    )


async def pick_fulfillment(
    cmd: PickFulfillment, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    return await _run(
        cmd.fulfillment_id, actor, uow, gateways, now, lambda o, f: ops.pick(o, f, now, actor.name)
    )


async def pack_fulfillment(
    cmd: PackFulfillment, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    return await _run(
        cmd.fulfillment_id, actor, uow, gateways, now, lambda o, f: ops.pack(o, f, now, actor.name)
    )


async def ship_fulfillment(
    cmd: ShipFulfillment, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """The parcel left with its carrier: its share of the payment is captured, its units
    leave onHand (journaled) and allocated, the order's status follows."""

    def ship(order: Order, fulfillment_id: str) -> Effects:
        return ops.ship(order, fulfillment_id, cmd.carrier, cmd.tracking_number, now, actor.name)

    return await _run(cmd.fulfillment_id, actor, uow, gateways, now, ship)


async def mark_ready_for_pickup(
    cmd: MarkReadyForPickup, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """The pickup waits at the counter with a new 6-digit code the shopper shows."""
    code = new_pickup_code()
    return await _run(
        cmd.fulfillment_id,
        actor,
        uow,
        gateways,
        now,
        lambda o, f: ops.ready_for_pickup(o, f, code, now, actor.name),
    )


async def confirm_pickup(
    cmd: ConfirmPickup, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """Hand over against the code (captured at handover). A wrong code is refused and still
    counts: the attempt is committed, and after 5 the fulfillment refuses codes until a new
    one is issued, so codes cannot be walked through the API."""
    async with uow:
        order, fulfillment = await fulfillment_for(uow, cmd.fulfillment_id, actor)
        attempts = fulfillment.pickup_attempts
        before = statuses(order)
        try:
            effects = ops.picked_up(order, fulfillment.id, cmd.pickup_code, now, actor.name)
        except DomainError:
            if order.fulfillment(fulfillment.id).pickup_attempts != attempts:
                await finish(uow, order)
                await uow.commit()
            raise
        await apply(uow, order, effects, gateways, now, before)
        await uow.commit()
    return order


async def reissue_pickup_code(
    fulfillment_id: str, actor: Actor, uow: UnitOfWork, now: datetime
) -> Order:
    """A new code for a pickup waiting at the counter; wrong attempts start again at 0."""
    code = new_pickup_code()
    async with uow:
        order, _ = await fulfillment_for(uow, fulfillment_id, actor)
        ops.reissue_pickup_code(order, fulfillment_id, code, now, actor.name)
        await finish(uow, order)
        await uow.commit()
    return order


async def reject_fulfillment(
    cmd: RejectFulfillment, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """The location cannot do the work: its units are released and the lines re-sourced
    over the channel's locked stock to the next best location (never one that rejected this
    order, never one at capacity); what nobody can send is backordered when the channel
    allows it and supply is coming, else cancelled on the order."""
    async with uow:
        order, fulfillment = await fulfillment_for(uow, cmd.fulfillment_id, actor)
        settings = await uow.channel_settings.settings(order.channel)
        if settings is None:
            raise not_visible(("id",), "fulfillment")
        scope, config = await channel_scope(uow, settings), settings.sourcing
        skus = {line.sku for line in fulfillment.lines}
        variants = await uow.catalog.variants_by_sku(skus)
        given_back = [(variants[sku].id, fulfillment.location_id) for sku in sorted(skus)]
        stock = await load_stock(uow, settings, scope, variants, now, lock=True, include=given_back)
        before = statuses(order)

        def reject(attempt: Order, snapshot: StockSnapshot) -> Effects:
            return ops.reject(
                attempt,
                cmd.fulfillment_id,
                cmd.reason,
                now,
                actor.name,
                stock=snapshot,
                config=config,
                new_id=new_id,
            )

        order, effects = await within_capacity(uow, order, stock.snapshot, now.date(), reject)
        await apply(uow, order, effects, gateways, now, before, stock)
        await uow.commit()
    return order
