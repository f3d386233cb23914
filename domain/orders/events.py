"""Order and fulfillment facts, raised by the domain and written to the outbox at commit.

Topics: "orders" carries OrderStatusChanged (orderStatusChanged subscriptions; placement is a
change from no status), "fulfillments" carries FulfillmentStatusChanged (fulfillmentChanged;
creation is a change from no status), "orders.activity" carries what customer care and
finance react to without a status change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from domain.events import DomainEvent
from domain.orders.lifecycle import FulfillmentMethod, FulfillmentStatus, OrderStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(DomainEvent):
    """What every subscriber filters on: the order, its channel and its customer."""

    order_id: str
    order_number: str
    channel: str
    customer_id: str | None
    at: datetime
    actor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatusChanged(OrderEvent):
    topic: ClassVar[str] = "orders"
    previous_status: OrderStatus | None
    status: OrderStatus
    # Where the order has (or had) work: a location-bound subscriber sees the order's status
    # when its location is among them, without reading the order back.
    location_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FulfillmentStatusChanged(OrderEvent):
    topic: ClassVar[str] = "fulfillments"
    fulfillment_id: str
    location_id: int
    location_code: str
    method: FulfillmentMethod
    previous_status: FulfillmentStatus | None
    status: FulfillmentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlaced(OrderEvent):
    topic: ClassVar[str] = "orders.activity"
    currency: str
    total: Decimal
    status: OrderStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLineCancelled(OrderEvent):
    topic: ClassVar[str] = "orders.activity"
    line_id: str
    sku: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderShippingAddressChanged(OrderEvent):
    topic: ClassVar[str] = "orders.activity"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAppeased(OrderEvent):
    topic: ClassVar[str] = "orders.activity"
    amount: Decimal
    currency: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderBackordered(OrderEvent):
    """Units wait for incoming supply; the release job re-sources them when it arrives."""

    topic: ClassVar[str] = "orders.activity"
    line_id: str
    sku: str
    quantity: int
    expected_on: date
