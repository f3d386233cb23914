"""Returns: the record, its state machine, and the order snapshot the rules read.

The snapshot is deliberately small and local (not the orders model) so returns do not depend
on orders-domain's types: the wiring fills it from the order as stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from domain.errors import DomainError, ErrorCode
from domain.locations.model import LocationKind


class ReturnStatus(Enum):
    REQUESTED = "REQUESTED"  # created; the units are held against the order lines
    RECEIVED = "RECEIVED"  # goods in, each line with a disposition
    REFUNDED = "REFUNDED"  # money sent back (once)
    REJECTED = "REJECTED"  # refused before anything was received
    CLOSED = "CLOSED"  # archived, or withdrawn before anything was received


class Disposition(Enum):
    RESTOCK = "RESTOCK"  # back into the receiving location's onHand
    DISCARD = "DISCARD"  # written off
    RETURN_TO_VENDOR = "RETURN_TO_VENDOR"  # sent back to the supplier for credit


TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset(
        {ReturnStatus.RECEIVED, ReturnStatus.REJECTED, ReturnStatus.CLOSED}
    ),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED, ReturnStatus.CLOSED}),
    ReturnStatus.REFUNDED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.REJECTED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.CLOSED: frozenset(),
}


def can_transition(current: ReturnStatus, target: ReturnStatus) -> bool:
    return target in TRANSITIONS[current]


def ensure_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    if not can_transition(current, target):
        raise DomainError.single(
            ("id",),
            ErrorCode.INVALID_TRANSITION,
            f"A {current.value.lower()} return cannot become {target.value.lower()}.",
        )


def accepts_returns_by_default(kind: LocationKind) -> bool:
    """Default for a location's `acceptsReturns`: places with staff and stock do; a dropship
    vendor's site (not ours to receive at) and a locker (no one to inspect) do not."""
    return kind not in (LocationKind.DROPSHIP_VENDOR, LocationKind.LOCKER)


@dataclass(frozen=True, slots=True)
class ReturnLocation:
    code: str
    accepts_returns: bool


@dataclass(frozen=True, slots=True)
class OrderLineSnapshot:
    """One order line's money and quantities.

    `units` are the billable units (ordered minus cancelled) and `gross`, `discount` and `tax`
    are their totals as charged (gross = unit price x units; discount = the line's share of
    every promotion). `shipped` counts units shipped or handed over at pickup."""

    line_id: str
    sku: str
    units: int
    shipped: int
    gross: Decimal
    discount: Decimal
    tax: Decimal
    unit_cost: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    number: str
    currency: str
    lines: tuple[OrderLineSnapshot, ...]
    shipping: Decimal = Decimal(0)
    shipping_discount: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    shipping_refunded: bool = False  # e.g. by a cancellation before anything shipped
    captured: Decimal = Decimal(0)  # through the gateway, all payments of the order
    refunded: Decimal = Decimal(0)  # through the gateway (refunds and appeasements)

    def line(self, line_id: str) -> OrderLineSnapshot | None:
        return next((line for line in self.lines if line.line_id == line_id), None)


@dataclass(frozen=True, slots=True)
class ReturnLine:
    order_line_id: str
    sku: str
    quantity: int  # requested
    reason: str
    received: int | None = None  # set when the return is received
    disposition: Disposition | None = None


@dataclass(frozen=True, slots=True)
class ExchangeLine:
    order_line_id: str  # the returned line this replaces
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Return:
    order_number: str
    status: ReturnStatus
    lines: tuple[ReturnLine, ...]
    created_at: datetime
    location: str | None = None  # where the customer brings it; None = mail-back
    received_at_location: str | None = None
    exchange_lines: tuple[ExchangeLine, ...] = ()
    refund: Decimal | None = None  # set once, when refunded
    id: int | None = None
    # Set by the wiring: the order's id and currency, and the exchange's linked order.
    order_id: str | None = None
    currency: str = ""
    exchange_order_id: str | None = None
    updated_at: datetime | None = None

    @property
    def was_received(self) -> bool:
        return any(line.received is not None for line in self.lines)

    def claimed(self, order_line_id: str) -> int:
        """Units this return holds against an order line: the requested units while it is
        open, the received ones once received, none if rejected or withdrawn unreceived."""
        total = 0
        for line in self.lines:
            if line.order_line_id != order_line_id:
                continue
            if line.received is not None:
                total += line.received
            elif self.status is ReturnStatus.REQUESTED:
                total += line.quantity
        return total

    def refunded_units(self, order_line_id: str) -> int:
        if self.refund is None:
            return 0
        return sum(line.received or 0 for line in self.lines if line.order_line_id == order_line_id)

    def to(self, status: ReturnStatus) -> Return:
        ensure_transition(self.status, status)
        return replace(self, status=status)


def claimed_units(returns: Iterable[Return], order_line_id: str) -> int:
    """`quantityReturned` of an order line: units held or taken back by its returns."""
    return sum(r.claimed(order_line_id) for r in returns)


def refunded_units(returns: Iterable[Return], order_line_id: str) -> int:
    return sum(r.refunded_units(order_line_id) for r in returns)
