"""The order aggregate: lines, fulfillments, backorders, money and history.

Operations (domain/orders/placement.py, fulfillment_ops.py, care.py) mutate an Order inside
one unit of work, append to `history` and `events`, and return Effects (effects.py): the stock
movements, deliveries and payment actions the handler applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain.errors import DomainError, ErrorCode
from domain.events import DomainEvent
from domain.locations.model import Address
from domain.orders.effects import Capture, Effects, ReleaseAuthorization
from domain.orders.errors import invalid_transition
from domain.orders.events import FulfillmentStatusChanged, OrderStatusChanged
from domain.orders.lifecycle import (
    FULFILLMENT_DELIVERED,
    FulfillmentFacts,
    FulfillmentMethod,
    FulfillmentStatus,
    OrderFacts,
    OrderStatus,
    check_fulfillment_move,
    check_order_move,
    derive_order_status,
)
from domain.payments.model import Payment

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    type: str
    message: str
    actor: str | None


@dataclass(slots=True)
class OrderLine:
    id: str
    sku: str
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: int | None
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    tax: Decimal
    charge: Decimal  # what the shopper pays for the line, tax included
    quantity_cancelled: int = 0
    quantity_shipped: int = 0  # shipped or handed over
    quantity_returned: int = 0
    quantity_unfilled: int = 0  # cancelled because no location could send them (fill rate)

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.quantity_cancelled

    @property
    def subtotal(self) -> Decimal:
        return self.total + self.discount


@dataclass(slots=True)
class FulfillmentLine:
    order_line_id: str
    sku: str
    quantity: int


@dataclass(slots=True)
class Fulfillment:
    id: str
    location_id: int
    location_code: str
    method: FulfillmentMethod
    status: FulfillmentStatus
    lines: list[FulfillmentLine]
    created_at: datetime
    updated_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    pickup_code: str | None = None
    pickup_attempts: int = 0
    ready_at: datetime | None = None
    reason: str | None = None

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(slots=True)
class Backorder:
    order_line_id: str
    sku: str
    quantity: int
    expected_on: date


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    shipping_charge: Decimal  # shipping after discount, tax included: captured on 1st shipment
    shipping_discount: Decimal
    shipping_tax: Decimal
    prices_include_tax: bool


@dataclass(slots=True)
class Order:
    id: str
    number: str
    channel: str
    currency: str
    status: OrderStatus
    lines: list[OrderLine]
    totals: OrderTotals
    created_at: datetime
    updated_at: datetime
    customer_id: str | None = None
    email: str | None = None
    shipping_address: Address | None = None
    delivery_option: str | None = None
    coupon_codes: tuple[str, ...] = ()
    source_code: str | None = None
    external_reference: str | None = None
    fulfillments: list[Fulfillment] = field(default_factory=list)
    backorders: list[Backorder] = field(default_factory=list)
    payment: Payment | None = None
    hold_reason: str | None = None
    appeased: Decimal = ZERO
    shipping_captured: bool = False
    authorization_released: bool = False
    rejected_location_ids: set[int] = field(default_factory=set)
    promised_by: datetime | None = None  # the promise made at placement (reports' at risk)
    history: list[HistoryEntry] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    def line(self, line_id: str) -> OrderLine:
        found = next((line for line in self.lines if line.id == line_id), None)
        if found is None:
            raise DomainError.single(
                ("lineId",), ErrorCode.NOT_FOUND, "The order has no such line."
            )
        return found

    def fulfillment(self, fulfillment_id: str) -> Fulfillment:
        found = next((f for f in self.fulfillments if f.id == fulfillment_id), None)
        if found is None:
            raise DomainError.single(("id",), ErrorCode.NOT_FOUND, "No such fulfillment.")
        return found

    def facts(self) -> OrderFacts:
        return OrderFacts(
            ordered=sum(line.quantity for line in self.lines),
            cancelled=sum(line.quantity_cancelled for line in self.lines),
            backordered=sum(b.quantity for b in self.backorders),
            fulfillments=tuple(
                FulfillmentFacts(f.status, f.method, f.units) for f in self.fulfillments
            ),
            on_hold=self.hold_reason is not None,
        )

    def undelivered_units(self) -> int:
        delivered = sum(f.units for f in self.fulfillments if f.status in FULFILLMENT_DELIVERED)
        return sum(line.open_quantity for line in self.lines) - delivered

    def pop_events(self) -> list[DomainEvent]:
        events, self.events = self.events, []
        if self.payment is not None:
            events += self.payment.events
            self.payment.events = []
        return events


def record(order: Order, at: datetime, kind: str, message: str, actor: str | None) -> None:
    order.history.append(HistoryEntry(at, kind, message, actor))
    order.updated_at = at


def move_fulfillment(
    order: Order,
    fulfillment: Fulfillment,
    new: FulfillmentStatus,
    at: datetime,
    actor: str | None,
    message: str,
) -> None:
    """Change a fulfillment's status through the table, with history and event."""
    check_fulfillment_move(fulfillment.status, new, fulfillment.method)
    previous, fulfillment.status, fulfillment.updated_at = fulfillment.status, new, at
    record(order, at, f"FULFILLMENT_{new.value}", message, actor)
    order.events.append(fulfillment_event(order, fulfillment, previous, at, actor))


def fulfillment_event(
    order: Order,
    fulfillment: Fulfillment,
    previous: FulfillmentStatus | None,
    at: datetime,
    actor: str | None,
) -> FulfillmentStatusChanged:
    return FulfillmentStatusChanged(
        order_id=order.id,
        order_number=order.number,
        channel=order.channel,
        customer_id=order.customer_id,
        at=at,
        actor=actor,
        fulfillment_id=fulfillment.id,
        location_id=fulfillment.location_id,
        location_code=fulfillment.location_code,
        method=fulfillment.method,
        previous_status=previous,
        status=fulfillment.status,
    )


def refresh_status(order: Order, at: datetime, actor: str | None, effects: Effects) -> None:
    """Derive the order's status from its units and fulfillments; when nothing is left to
    deliver, release the authorization nobody will capture."""
    new = derive_order_status(order.facts())
    if new is not order.status:
        check_order_move(order.status, new)
        previous, order.status = order.status, new
        record(order, at, "STATUS_CHANGED", f"{previous.value} -> {new.value}", actor)
        order.events.append(
            OrderStatusChanged(
                order_id=order.id,
                order_number=order.number,
                channel=order.channel,
                customer_id=order.customer_id,
                at=at,
                actor=actor,
                previous_status=previous,
                status=new,
                location_codes=location_codes(order),
            )
        )
    payment = order.payment
    if (
        payment is not None
        and not order.authorization_released
        and order.undelivered_units() == 0
        and not order.backorders
        and payment.capturable - pending_captures(effects) > ZERO
    ):
        order.authorization_released = True
        effects.payments.append(ReleaseAuthorization())


def location_codes(order: Order) -> tuple[str, ...]:
    """Every location that has or had work for the order, in first-assigned order."""
    return tuple(dict.fromkeys(f.location_code for f in order.fulfillments))


def pending_captures(effects: Effects) -> Decimal:
    return sum((p.amount for p in effects.payments if isinstance(p, Capture)), ZERO)


def require_not_on_hold(order: Order) -> None:
    if order.hold_reason is not None:
        raise invalid_transition(("id",), "The order is on hold; release it first.")
