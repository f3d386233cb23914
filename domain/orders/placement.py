"""Placing an order: priced lines + a complete sourcing plan (+ an authorized payment) ->
an Order with one fulfillment per planned location, its allocations, history and events."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.locations.model import Address
from domain.orders.effects import Effects, StockEffect, StockEffectKind
from domain.orders.events import OrderBackordered, OrderPlaced, OrderStatusChanged
from domain.orders.lifecycle import (
    FulfillmentMethod,
    FulfillmentStatus,
    OrderStatus,
    derive_order_status,
)
from domain.orders.model import (
    Backorder,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    OrderTotals,
    fulfillment_event,
    location_codes,
    record,
)
from domain.orders.plan import SourcingPlan
from domain.orders.pricing import Totals
from domain.payments.model import Payment


@dataclass(frozen=True, slots=True)
class LineChoice:
    """How one priced line is fulfilled (keyed by the line id used in pricing and sourcing)."""

    method: FulfillmentMethod = FulfillmentMethod.SHIP
    pickup_location_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewOrder:
    order_id: str
    number: str
    channel: str
    at: datetime
    actor: str | None = None
    customer_id: str | None = None
    email: str | None = None
    shipping_address: Address | None = None
    delivery_option: str | None = None
    coupon_codes: tuple[str, ...] = ()
    source_code: str | None = None
    external_reference: str | None = None
    promised_by: datetime | None = None  # promises.order_promise


def place_order(
    new: NewOrder,
    totals: Totals,
    choices: Mapping[str, LineChoice],
    plan: SourcingPlan,
    new_id: Callable[[], str],
    payment: Payment | None = None,
    line_fields: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Order, Effects]:
    """The order, or INSUFFICIENT_STOCK per line the plan could not source. Order line ids are
    fresh (`new_id`); the plan and totals speak of the pricing line ids."""
    plan.require_complete(line_fields or {})
    ids = {priced.line_id: new_id() for priced in totals.lines}
    lines = [
        OrderLine(
            id=ids[p.line_id],
            sku=p.sku,
            quantity=p.quantity,
            method=choices.get(p.line_id, LineChoice()).method,
            pickup_location_id=choices.get(p.line_id, LineChoice()).pickup_location_id,
            unit_price=p.unit_price,
            discount=p.discount,
            total=p.total,
            tax=p.tax,
            charge=p.charge,
        )
        for p in totals.lines
    ]
    order = Order(
        id=new.order_id,
        number=new.number,
        channel=new.channel,
        currency=totals.currency,
        status=OrderStatus.PENDING,
        lines=lines,
        totals=OrderTotals(
            totals.subtotal,
            totals.discount_total,
            totals.shipping_total,
            totals.tax_total,
            totals.total,
            totals.shipping_charge,
            totals.shipping_discount,
            totals.shipping_tax,
            totals.prices_include_tax,
        ),
        created_at=new.at,
        updated_at=new.at,
        customer_id=new.customer_id,
        email=new.email,
        shipping_address=new.shipping_address,
        delivery_option=new.delivery_option,
        coupon_codes=new.coupon_codes,
        source_code=new.source_code,
        external_reference=new.external_reference,
        payment=payment,
        promised_by=new.promised_by,
    )
    record(order, new.at, "PLACED", f"Order {new.number} placed.", new.actor)
    effects = Effects()
    add_planned_work(order, plan, ids, new_id, new.at, new.actor, effects)
    order.status = derive_order_status(order.facts())
    order.events.insert(
        0,
        OrderStatusChanged(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=new.at,
            actor=new.actor,
            previous_status=None,
            status=order.status,
            location_codes=location_codes(order),
        ),
    )
    order.events.insert(
        0,
        OrderPlaced(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=new.at,
            actor=new.actor,
            currency=order.currency,
            total=order.totals.total,
            status=order.status,
        ),
    )
    return order, effects


def add_planned_work(
    order: Order,
    plan: SourcingPlan,
    line_ids: Mapping[str, str],
    new_id: Callable[[], str],
    at: datetime,
    actor: str | None,
    effects: Effects,
) -> None:
    """Create the plan's fulfillments (ASSIGNED, units allocated) and backorders. `line_ids`
    maps the plan's line ids to order line ids."""
    for planned in plan.fulfillments:
        fulfillment = Fulfillment(
            id=new_id(),
            location_id=planned.location_id,
            location_code=planned.location_code,
            method=planned.method,
            status=FulfillmentStatus.ASSIGNED,
            lines=[
                FulfillmentLine(line_ids[pl.line_id], pl.sku, pl.quantity) for pl in planned.lines
            ],
            created_at=at,
            updated_at=at,
        )
        order.fulfillments.append(fulfillment)
        effects.stock.extend(
            StockEffect(
                StockEffectKind.ALLOCATE, pl.sku, planned.location_id, pl.quantity, fulfillment.id
            )
            for pl in planned.lines
        )
        record(
            order,
            at,
            "FULFILLMENT_ASSIGNED",
            f"{fulfillment.units} unit(s) assigned to {planned.location_code}.",
            actor,
        )
        order.events.append(fulfillment_event(order, fulfillment, None, at, actor))
    for b in plan.backordered:
        line_id = line_ids[b.line_id]
        order.backorders.append(Backorder(line_id, b.sku, b.quantity, b.expected_on))
        record(
            order,
            at,
            "BACKORDERED",
            f"{b.quantity} unit(s) of {b.sku} backordered, expected {b.expected_on.isoformat()}.",
            actor,
        )
        order.events.append(
            OrderBackordered(
                order_id=order.id,
                order_number=order.number,
                channel=order.channel,
                customer_id=order.customer_id,
                at=at,
                actor=actor,
                line_id=line_id,
                sku=b.sku,
                quantity=b.quantity,
                expected_on=b.expected_on,
            )
        )
