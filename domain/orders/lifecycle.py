"""The order and fulfillment state machines (contract enums) and how an order's status
follows its fulfillments. docs/orders.md holds the same tables in prose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from domain.orders.errors import invalid_transition


class FulfillmentMethod(Enum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"


class OrderStatus(Enum):
    PENDING = "PENDING"
    ON_HOLD = "ON_HOLD"
    CONFIRMED = "CONFIRMED"
    IN_FULFILLMENT = "IN_FULFILLMENT"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    BACKORDERED = "BACKORDERED"


class FulfillmentStatus(Enum):
    ASSIGNED = "ASSIGNED"
    ACCEPTED = "ACCEPTED"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    PICKED_UP = "PICKED_UP"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


F = FulfillmentStatus
SHIP, PICKUP = FulfillmentMethod.SHIP, FulfillmentMethod.PICKUP
BOTH = frozenset({SHIP, PICKUP})

# (from, to) -> the methods for which the move exists. A store may reject work it accepted,
# up to a short pick; once packed it ships or hands over. Pickup may skip packing (bagging
# at the counter is not a separate step in most stores).
FULFILLMENT_TRANSITIONS: Mapping[
    tuple[FulfillmentStatus, FulfillmentStatus], frozenset[FulfillmentMethod]
] = {
    (F.ASSIGNED, F.ACCEPTED): BOTH,
    (F.ASSIGNED, F.REJECTED): BOTH,
    (F.ASSIGNED, F.CANCELLED): BOTH,
    (F.ACCEPTED, F.PICKED): BOTH,
    (F.ACCEPTED, F.REJECTED): BOTH,
    (F.ACCEPTED, F.CANCELLED): BOTH,
    (F.PICKED, F.PACKED): BOTH,
    (F.PICKED, F.READY_FOR_PICKUP): frozenset({PICKUP}),
    (F.PICKED, F.REJECTED): BOTH,
    (F.PICKED, F.CANCELLED): BOTH,
    (F.PACKED, F.SHIPPED): frozenset({SHIP}),
    (F.PACKED, F.READY_FOR_PICKUP): frozenset({PICKUP}),
    (F.PACKED, F.CANCELLED): BOTH,
    (F.READY_FOR_PICKUP, F.PICKED_UP): frozenset({PICKUP}),
    (F.READY_FOR_PICKUP, F.EXPIRED): frozenset({PICKUP}),
    (F.READY_FOR_PICKUP, F.CANCELLED): frozenset({PICKUP}),
}
FULFILLMENT_TERMINAL = frozenset({F.SHIPPED, F.PICKED_UP, F.REJECTED, F.CANCELLED, F.EXPIRED})
# Statuses whose units are still on their way to the customer.
FULFILLMENT_OPEN = frozenset({F.ASSIGNED, F.ACCEPTED, F.PICKED, F.PACKED, F.READY_FOR_PICKUP})
FULFILLMENT_DELIVERED = frozenset({F.SHIPPED, F.PICKED_UP})


def fulfillment_move_allowed(
    current: FulfillmentStatus, new: FulfillmentStatus, method: FulfillmentMethod
) -> bool:
    return method in FULFILLMENT_TRANSITIONS.get((current, new), frozenset())


def check_fulfillment_move(
    current: FulfillmentStatus, new: FulfillmentStatus, method: FulfillmentMethod
) -> None:
    if not fulfillment_move_allowed(current, new, method):
        raise invalid_transition(
            ("id",),
            f"A {method.value.lower()} fulfillment cannot go from {current.value} to {new.value}.",
        )


S = OrderStatus
# Every change of an order's status, derived or commanded, must be listed here; a derived
# change outside the table is a bug and raises instead of silently corrupting the history.
# tests/unit/domain/test_order_lifecycle.py drives random operation sequences through it.
ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.IN_FULFILLMENT, S.BACKORDERED, S.ON_HOLD, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.CONFIRMED, S.IN_FULFILLMENT, S.ON_HOLD, S.CANCELLED}),
    S.IN_FULFILLMENT: frozenset(
        {S.CONFIRMED, S.BACKORDERED, S.READY_FOR_PICKUP, S.PARTIALLY_SHIPPED, S.SHIPPED}
        | {S.ON_HOLD, S.CANCELLED}
    ),
    S.READY_FOR_PICKUP: frozenset({S.SHIPPED, S.COMPLETED, S.ON_HOLD, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.COMPLETED, S.READY_FOR_PICKUP, S.ON_HOLD}),
    # Released, or nothing left to deliver (the rest cancelled, a pickup expired).
    S.ON_HOLD: frozenset(
        {S.PENDING, S.CONFIRMED, S.BACKORDERED, S.IN_FULFILLMENT, S.READY_FOR_PICKUP}
        | {S.PARTIALLY_SHIPPED, S.SHIPPED, S.COMPLETED, S.CANCELLED}
    ),
    S.SHIPPED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
HOLDABLE = frozenset(ORDER_TRANSITIONS) - {S.ON_HOLD, S.SHIPPED, S.COMPLETED, S.CANCELLED}
ORDER_TERMINAL = frozenset({S.SHIPPED, S.COMPLETED, S.CANCELLED})


def check_order_move(current: OrderStatus, new: OrderStatus) -> None:
    if new is not current and new not in ORDER_TRANSITIONS[current]:
        raise invalid_transition(
            ("id",), f"An order cannot go from {current.value} to {new.value}."
        )


@dataclass(frozen=True, slots=True)
class FulfillmentFacts:
    status: FulfillmentStatus
    method: FulfillmentMethod
    units: int


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What an order's status is derived from (units summed over its lines)."""

    ordered: int
    cancelled: int
    backordered: int
    fulfillments: tuple[FulfillmentFacts, ...]
    on_hold: bool = False


def derive_order_status(facts: OrderFacts) -> OrderStatus:
    """The status the order's units are in; the table in docs/orders.md, in code."""
    wanted = facts.ordered - facts.cancelled
    if wanted <= 0:
        return S.CANCELLED
    delivered = [f for f in facts.fulfillments if f.status in FULFILLMENT_DELIVERED]
    open_ = [f for f in facts.fulfillments if f.status in FULFILLMENT_OPEN and f.units > 0]
    delivered_units = sum(f.units for f in delivered)
    if delivered_units >= wanted:
        return S.SHIPPED if any(f.method is SHIP for f in delivered) else S.COMPLETED
    if facts.on_hold:
        return S.ON_HOLD
    if open_ and not facts.backordered and _all(open_, F.READY_FOR_PICKUP):
        return S.READY_FOR_PICKUP
    if delivered_units > 0:
        return S.PARTIALLY_SHIPPED
    if any(f.status is not F.ASSIGNED for f in open_):
        return S.IN_FULFILLMENT
    if facts.backordered:
        return S.BACKORDERED
    return S.CONFIRMED if open_ else S.PENDING


def _all(fulfillments: Iterable[FulfillmentFacts], status: FulfillmentStatus) -> bool:
    return all(f.status is status for f in fulfillments)
