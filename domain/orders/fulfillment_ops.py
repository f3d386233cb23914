"""Store and warehouse operations on one fulfillment: accept, reject (re-sourced), pick,
pack, ship, ready for pickup, picked up (code checked), pickup expiry; backorder release."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.errors import DomainError, ErrorCode, invalid
from domain.orders.billing import delivery
from domain.orders.effects import Capture, Effects, StockEffect, StockEffectKind
from domain.orders.errors import invalid_transition, raise_if
from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus
from domain.orders.model import (
    Fulfillment,
    Order,
    move_fulfillment,
    record,
    refresh_status,
    require_not_on_hold,
)
from domain.orders.pickup import MAX_PICKUP_ATTEMPTS, pickup_code_matches, pickup_expired
from domain.orders.placement import add_planned_work
from domain.orders.plan import SourcingLine, SourcingPlan, StockSnapshot
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SourcingConfig

F = FulfillmentStatus
MAX_REASON = 500
MAX_TRACKING = 100


def accept(order: Order, fulfillment_id: str, at: datetime, actor: str | None) -> Effects:
    return _step(order, fulfillment_id, F.ACCEPTED, at, actor, "Accepted by the location.")


def pick(order: Order, fulfillment_id: str, at: datetime, actor: str | None) -> Effects:
    return _step(order, fulfillment_id, F.PICKED, at, actor, "Picked.")


def pack(order: Order, fulfillment_id: str, at: datetime, actor: str | None) -> Effects:
    return _step(order, fulfillment_id, F.PACKED, at, actor, "Packed.")


def _step(
    order: Order,
    fulfillment_id: str,
    new: FulfillmentStatus,
    at: datetime,
    actor: str | None,
    message: str,
) -> Effects:
    fulfillment = order.fulfillment(fulfillment_id)
    require_not_on_hold(order)
    move_fulfillment(order, fulfillment, new, at, actor, message)
    effects = Effects()
    refresh_status(order, at, actor, effects)
    return effects


def ship(
    order: Order,
    fulfillment_id: str,
    carrier: str,
    tracking_number: str,
    at: datetime,
    actor: str | None,
) -> Effects:
    """The parcel left: its units leave onHand, its share of the order is captured (with the
    shipping charge on the first parcel)."""
    raise_if(
        [
            invalid((name,), f"{name} must be 1-{MAX_TRACKING} characters.")
            for name, value in (("carrier", carrier), ("trackingNumber", tracking_number))
            if not value.strip() or len(value) > MAX_TRACKING
        ]
    )
    fulfillment = order.fulfillment(fulfillment_id)
    require_not_on_hold(order)
    move_fulfillment(
        order,
        fulfillment,
        F.SHIPPED,
        at,
        actor,
        f"Shipped with {carrier}, tracking {tracking_number}.",
    )
    fulfillment.carrier, fulfillment.tracking_number = carrier.strip(), tracking_number.strip()
    return _delivered(order, fulfillment, at, actor)


def ready_for_pickup(
    order: Order, fulfillment_id: str, code: str, at: datetime, actor: str | None
) -> Effects:
    """`code` comes from domain.orders.pickup.new_pickup_code (kept out for determinism)."""
    fulfillment = order.fulfillment(fulfillment_id)
    require_not_on_hold(order)
    move_fulfillment(order, fulfillment, F.READY_FOR_PICKUP, at, actor, "Ready for pickup.")
    fulfillment.pickup_code, fulfillment.pickup_attempts, fulfillment.ready_at = code, 0, at
    effects = Effects()
    refresh_status(order, at, actor, effects)
    return effects


def picked_up(
    order: Order, fulfillment_id: str, code: str, at: datetime, actor: str | None
) -> Effects:
    """Hand over against the pickup code. A wrong code counts an attempt and raises: the
    handler must commit the attempt count even though the operation fails."""
    fulfillment = order.fulfillment(fulfillment_id)
    require_not_on_hold(order)
    if fulfillment.status is not F.READY_FOR_PICKUP:
        raise invalid_transition(("id",), f"The fulfillment is {fulfillment.status.value}.")
    if fulfillment.pickup_attempts >= MAX_PICKUP_ATTEMPTS:
        raise DomainError.single(
            ("pickupCode",), ErrorCode.FORBIDDEN, "Too many wrong codes; issue a new pickup code."
        )
    if not pickup_code_matches(fulfillment.pickup_code, code):
        fulfillment.pickup_attempts += 1
        record(order, at, "PICKUP_CODE_REJECTED", "A wrong pickup code was entered.", actor)
        raise DomainError.single(
            ("pickupCode",), ErrorCode.INVALID, "The pickup code does not match."
        )
    move_fulfillment(order, fulfillment, F.PICKED_UP, at, actor, "Handed over to the shopper.")
    return _delivered(order, fulfillment, at, actor)


def reissue_pickup_code(
    order: Order, fulfillment_id: str, code: str, at: datetime, actor: str | None
) -> None:
    fulfillment = order.fulfillment(fulfillment_id)
    if fulfillment.status is not F.READY_FOR_PICKUP:
        raise invalid_transition(("id",), f"The fulfillment is {fulfillment.status.value}.")
    fulfillment.pickup_code, fulfillment.pickup_attempts = code, 0
    record(order, at, "PICKUP_CODE_REISSUED", "A new pickup code was issued.", actor)


def _delivered(order: Order, fulfillment: Fulfillment, at: datetime, actor: str | None) -> Effects:
    with_shipping = fulfillment.method is FulfillmentMethod.SHIP and not order.shipping_captured
    delivered = delivery(order, fulfillment, with_shipping)
    effects = Effects(deliveries=[delivered])
    for fl in fulfillment.lines:
        order.line(fl.order_line_id).quantity_shipped += fl.quantity
        effects.stock.append(
            StockEffect(
                StockEffectKind.OUTBOUND,
                fl.sku,
                fulfillment.location_id,
                fl.quantity,
                fulfillment.id,
            )
        )
    order.shipping_captured = order.shipping_captured or with_shipping
    if order.payment is not None and delivered.charge > 0:
        effects.payments.append(Capture(delivered.charge, fulfillment.id))
    refresh_status(order, at, actor, effects)
    return effects


def reject(
    order: Order,
    fulfillment_id: str,
    reason: str,
    at: datetime,
    actor: str | None,
    *,
    stock: StockSnapshot,
    config: SourcingConfig,
    new_id: Callable[[], str],
) -> Effects:
    """The location cannot do it: release its units and re-source them to the next best
    location, never one that rejected this order before. Units nobody else can send are
    backordered (when allowed and supply is coming) or cancelled. A rejected pickup is
    cancelled: the shopper chose that store, another store is not what they asked for."""
    _require_reason(reason)
    fulfillment = order.fulfillment(fulfillment_id)
    move_fulfillment(order, fulfillment, F.REJECTED, at, actor, f"Rejected: {reason.strip()}")
    fulfillment.reason = reason.strip()
    order.rejected_location_ids.add(fulfillment.location_id)
    effects = Effects(stock=_release(fulfillment))
    if fulfillment.method is FulfillmentMethod.SHIP:
        lines = [
            SourcingLine(fl.order_line_id, fl.sku, fl.quantity)
            for fl in fulfillment.lines
            if fl.quantity > 0
        ]
        to = order.shipping_address.geo if order.shipping_address else None
        plan = source(
            lines, stock, config, to, exclude_locations=frozenset(order.rejected_location_ids)
        )
        add_planned_work(
            order, plan, {ln.line_id: ln.line_id for ln in lines}, new_id, at, actor, effects
        )
        lost = [(u.line_id, u.quantity) for u in plan.unsourceable]
    else:
        lost = [(fl.order_line_id, fl.quantity) for fl in fulfillment.lines]
    for line_id, quantity in lost:
        line = order.line(line_id)
        line.quantity_cancelled += quantity
        line.quantity_unfilled += quantity
        record(
            order,
            at,
            "LINE_CANCELLED",
            f"{quantity} x {line.sku} cancelled: no location can send it.",
            actor,
        )
    refresh_status(order, at, actor, effects)
    return effects


def expire_pickup(
    order: Order, fulfillment_id: str, hold_days: int, at: datetime, actor: str | None
) -> Effects:
    """Nobody came: the units go back to stock and are cancelled on the order."""
    fulfillment = order.fulfillment(fulfillment_id)
    if fulfillment.status is F.READY_FOR_PICKUP and not pickup_expired(
        fulfillment.ready_at, hold_days, at
    ):
        raise invalid_transition(("id",), "The pickup has not expired yet.")
    move_fulfillment(order, fulfillment, F.EXPIRED, at, actor, "Not collected in time.")
    for fl in fulfillment.lines:
        order.line(fl.order_line_id).quantity_cancelled += fl.quantity
    effects = Effects(stock=_release(fulfillment))
    refresh_status(order, at, actor, effects)
    return effects


def backordered_lines(order: Order) -> list[SourcingLine]:
    """What a backorder release must source, one line per order line."""
    merged: dict[str, SourcingLine] = {}
    for b in order.backorders:
        line = order.line(b.order_line_id)
        previous = merged.get(line.id)
        quantity = b.quantity + (previous.quantity if previous else 0)
        merged[line.id] = SourcingLine(
            line.id, line.sku, quantity, line.method, line.pickup_location_id
        )
    return list(merged.values())


def release_backorders(
    order: Order, plan: SourcingPlan, at: datetime, actor: str | None, new_id: Callable[[], str]
) -> Effects:
    """Supply arrived: what `plan` (sourced from `backordered_lines`, without backorders)
    allocates becomes fulfillments; what it cannot source yet stays backordered."""
    effects = Effects()
    if not plan.fulfillments:
        return effects
    allocated: dict[str, int] = {}
    for planned in plan.fulfillments:
        for pl in planned.lines:
            allocated[pl.line_id] = allocated.get(pl.line_id, 0) + pl.quantity
    work = SourcingPlan(plan.fulfillments)  # what stays short stays backordered as it is
    add_planned_work(order, work, {k: k for k in allocated}, new_id, at, actor, effects)
    for backorder in list(order.backorders):
        take = min(backorder.quantity, allocated.get(backorder.order_line_id, 0))
        allocated[backorder.order_line_id] = allocated.get(backorder.order_line_id, 0) - take
        backorder.quantity -= take
        if backorder.quantity == 0:
            order.backorders.remove(backorder)
    refresh_status(order, at, actor, effects)
    return effects


def _release(fulfillment: Fulfillment) -> list[StockEffect]:
    return [
        StockEffect(
            StockEffectKind.RELEASE, fl.sku, fulfillment.location_id, fl.quantity, fulfillment.id
        )
        for fl in fulfillment.lines
        if fl.quantity > 0
    ]


def _require_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > MAX_REASON:
        raise_if([invalid(("reason",), f"Give a reason of 1-{MAX_REASON} characters.")])
