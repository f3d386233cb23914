"""Customer care: cancel an order or part of a line, change the shipping address before
shipment, hold and release, appease. Each returns the Effects the handler applies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.errors import invalid
from domain.locations.model import Address
from domain.money import round_money
from domain.orders.billing import value_of_open_units
from domain.orders.cart import address_errors
from domain.orders.effects import Effects, Refund, StockEffect, StockEffectKind
from domain.orders.errors import invalid_transition, raise_if
from domain.orders.events import OrderAppeased, OrderLineCancelled, OrderShippingAddressChanged
from domain.orders.fulfillment_ops import MAX_REASON
from domain.orders.lifecycle import (
    FULFILLMENT_OPEN,
    HOLDABLE,
    FulfillmentMethod,
    FulfillmentStatus,
    OrderStatus,
)
from domain.orders.model import (
    ZERO,
    Order,
    OrderLine,
    move_fulfillment,
    record,
    refresh_status,
)

F = FulfillmentStatus
# Cancel from work not started before work in progress.
_CANCEL_ORDER = (F.ASSIGNED, F.ACCEPTED, F.PICKED, F.PACKED, F.READY_FOR_PICKUP)


def cancellable(order: Order, line: OrderLine) -> int:
    """Units of a line not yet shipped or handed over: backordered or in open fulfillments."""
    backordered = sum(b.quantity for b in order.backorders if b.order_line_id == line.id)
    in_work = sum(
        fl.quantity
        for f in order.fulfillments
        if f.status in FULFILLMENT_OPEN
        for fl in f.lines
        if fl.order_line_id == line.id
    )
    return backordered + in_work


def cancel_order(order: Order, reason: str, at: datetime, actor: str | None) -> Effects:
    """Cancel every unit not yet delivered (a partly shipped order keeps what left)."""
    _require_reason(reason)
    if all(cancellable(order, line) == 0 for line in order.lines):
        raise invalid_transition(("id",), f"Nothing is left to cancel ({order.status.value}).")
    effects = Effects()
    for line in order.lines:
        quantity = cancellable(order, line)
        if quantity:
            _cancel_units(order, line, quantity, reason, at, actor, effects)
    record(order, at, "CANCELLED", f"Order cancelled: {reason.strip()}", actor)
    refresh_status(order, at, actor, effects)
    return effects


def cancel_line(
    order: Order, line_id: str, quantity: int, reason: str, at: datetime, actor: str | None
) -> Effects:
    _require_reason(reason)
    line = order.line(line_id)
    left = cancellable(order, line)
    if left == 0:
        raise invalid_transition(("lineId",), "Every unit of this line was shipped or cancelled.")
    if not 1 <= quantity <= left:
        raise_if([invalid(("quantity",), f"Cancel between 1 and {left} unit(s).")])
    effects = Effects()
    _cancel_units(order, line, quantity, reason, at, actor, effects)
    refresh_status(order, at, actor, effects)
    return effects


def _cancel_units(
    order: Order,
    line: OrderLine,
    quantity: int,
    reason: str,
    at: datetime,
    actor: str | None,
    effects: Effects,
) -> None:
    left = quantity
    for backorder in [b for b in order.backorders if b.order_line_id == line.id]:
        take = min(left, backorder.quantity)
        backorder.quantity, left = backorder.quantity - take, left - take
        if backorder.quantity == 0:
            order.backorders.remove(backorder)
    rank = {status: i for i, status in enumerate(_CANCEL_ORDER)}
    work = sorted(
        (f for f in order.fulfillments if f.status in FULFILLMENT_OPEN),
        key=lambda f: rank[f.status],
    )
    for fulfillment in work:
        takes = []
        for fl in fulfillment.lines:
            if left and fl.order_line_id == line.id and fl.quantity > 0:
                take = min(left, fl.quantity)
                takes.append((fl, take))
                left -= take
        if not takes:
            continue
        effects.stock.extend(
            StockEffect(
                StockEffectKind.RELEASE, fl.sku, fulfillment.location_id, take, fulfillment.id
            )
            for fl, take in takes
        )
        if sum(take for _, take in takes) == fulfillment.units:
            # emptied: cancelled, its lines kept to show what it held
            move_fulfillment(order, fulfillment, F.CANCELLED, at, actor, f"Cancelled: {reason}")
        else:
            for fl, take in takes:
                fl.quantity -= take
            fulfillment.lines = [fl for fl in fulfillment.lines if fl.quantity > 0]
    line.quantity_cancelled += quantity
    record(order, at, "LINE_CANCELLED", f"{quantity} x {line.sku} cancelled: {reason}", actor)
    order.events.append(
        OrderLineCancelled(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=at,
            actor=actor,
            line_id=line.id,
            sku=line.sku,
            quantity=quantity,
            reason=reason,
        )
    )


def change_shipping_address(
    order: Order, address: Address, at: datetime, actor: str | None
) -> None:
    """Allowed until the first parcel leaves. The country stays: tax and delivery options were
    agreed for it (another country is a new order)."""
    raise_if(address_errors(address))
    if not any(line.method is FulfillmentMethod.SHIP for line in order.lines):
        raise invalid_transition(("id",), "Nothing in this order is shipped.")
    shipped = any(
        f.method is FulfillmentMethod.SHIP and f.status is F.SHIPPED for f in order.fulfillments
    )
    if shipped or order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise invalid_transition(("id",), "A parcel has already left; the address is final.")
    current = order.shipping_address
    if current is not None and current.country != address.country:
        raise_if([invalid(("address", "country"), "The country cannot change after placement.")])
    order.shipping_address = address
    record(order, at, "ADDRESS_CHANGED", "Shipping address changed.", actor)
    order.events.append(
        OrderShippingAddressChanged(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=at,
            actor=actor,
        )
    )


def hold(order: Order, reason: str, at: datetime, actor: str | None) -> Effects:
    """Stop the order (fraud check, customer request): fulfillments cannot progress."""
    _require_reason(reason)
    if order.status not in HOLDABLE:
        raise invalid_transition(("id",), f"An order {order.status.value} cannot be held.")
    order.hold_reason = reason.strip()
    record(order, at, "HELD", f"Held: {order.hold_reason}", actor)
    effects = Effects()
    refresh_status(order, at, actor, effects)
    return effects


def release(order: Order, at: datetime, actor: str | None) -> Effects:
    if order.status is not OrderStatus.ON_HOLD:
        raise invalid_transition(("id",), "The order is not on hold.")
    order.hold_reason = None
    record(order, at, "RELEASED", "Released from hold.", actor)
    effects = Effects()
    refresh_status(order, at, actor, effects)
    return effects


def appeasement_limit(order: Order) -> Decimal:
    """At most what the shopper paid and did not get back: with a payment, what is captured
    and not refunded; paid elsewhere (marketplace, POS), the value of what was not cancelled,
    less earlier appeasements."""
    if order.payment is not None:
        return order.payment.refundable
    kept = value_of_open_units(order)
    ships = any(ln.method is FulfillmentMethod.SHIP and ln.open_quantity for ln in order.lines)
    shipping = order.totals.shipping_charge if ships or order.shipping_captured else ZERO
    return max(ZERO, kept + shipping - order.appeased)


def appease(order: Order, amount: Decimal, reason: str, at: datetime, actor: str | None) -> Effects:
    _require_reason(reason)
    limit = appeasement_limit(order)
    if not amount.is_finite() or amount <= 0:
        raise_if([invalid(("amount",), f"Give a positive amount in {order.currency}.")])
    # Before rounding: quantizing an amount like 1e1000000 overflows the context.
    if amount > limit:
        raise_if([invalid(("amount",), f"At most {limit} {order.currency} can be appeased.")])
    if round_money(amount, order.currency) != amount:
        raise_if([invalid(("amount",), f"Give a positive amount in {order.currency}.")])
    order.appeased += amount
    record(order, at, "APPEASED", f"{amount} {order.currency} appeased: {reason.strip()}", actor)
    order.events.append(
        OrderAppeased(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=at,
            actor=actor,
            amount=amount,
            currency=order.currency,
            reason=reason.strip(),
        )
    )
    effects = Effects()
    if order.payment is not None:
        effects.payments.append(Refund(amount, reason.strip()))
    return effects


def _require_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > MAX_REASON:
        raise_if([invalid(("reason",), f"Give a reason of 1-{MAX_REASON} characters.")])
