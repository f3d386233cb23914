"""Live order feeds: `orderStatusChanged` and `fulfillmentChanged` (subscriptions/orders.py).

Policies: an order's status feed needs `orders:read` (a customer token holds it and sees
its own orders); a location's work feed needs `orders:read` or `fulfillment:write` (the
store app doing the work). Rows are filtered per event by the token's bindings.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from persistence.reads.orders import FulfillmentView, OrderView
from schema.common import Info
from schema.orders import ORDER, WORK, Fulfillment, FulfillmentStatus, Order, OrderStatus
from schema.policy import guard, needs
from subscriptions import orders as feeds


@guard(order=ORDER, previousStatus=ORDER, status=ORDER, at=ORDER)
@strawberry.type(description="An order's status changed (placement is a change from null).")
class OrderStatusEvent:
    previous_status: OrderStatus | None  # type: ignore[valid-type]
    status: OrderStatus  # type: ignore[valid-type]
    at: datetime

    @strawberry.field(description="The order as it is now.")
    def order(root: strawberry.Parent[feeds.OrderStatusChange]) -> Order:  # type: ignore[misc]
        view: OrderView = root.order
        return view  # type: ignore[return-value]


@guard(fulfillment=WORK, previousStatus=WORK, status=WORK, at=WORK)
@strawberry.type(description="A fulfillment was created or changed status.")
class FulfillmentEvent:
    previous_status: FulfillmentStatus | None  # type: ignore[valid-type]
    status: FulfillmentStatus  # type: ignore[valid-type]
    at: datetime

    @strawberry.field(description="The fulfillment as it is now.")
    def fulfillment(root: strawberry.Parent[feeds.FulfillmentChange]) -> Fulfillment:  # type: ignore[misc]
        view: FulfillmentView = root.fulfillment
        return view  # type: ignore[return-value]


@guard(
    orderStatusChanged=needs("orders:read"),
    fulfillmentChanged=needs("orders:read", "fulfillment:write"),
)
@strawberry.type
class OrdersSubscription:
    @strawberry.subscription(
        description="One order (a shopper's app), or every order the token may see (a "
        "partner portal, a dashboard); in commit order per order. An order that does not "
        "exist or is not the token's is NOT_FOUND."
    )
    async def order_status_changed(
        self, info: Info, order_id: strawberry.ID | None = None
    ) -> AsyncGenerator[OrderStatusEvent, None]:
        async for change in feeds.order_status_changed(info.context, order_id):
            yield change  # type: ignore[misc]

    @strawberry.subscription(
        description="Work at one location (a store or warehouse app); a location-bound "
        "token may watch its own location only."
    )
    async def fulfillment_changed(
        self, info: Info, location: str
    ) -> AsyncGenerator[FulfillmentEvent, None]:
        async for change in feeds.fulfillment_changed(info.context, location):
            yield change  # type: ignore[misc]
