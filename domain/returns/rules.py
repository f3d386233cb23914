"""Return rules: what may be returned, where, how it is received, and when it may be refunded.

Field paths follow the GraphQL mutations: `returnCreate(input: ...)` -> ["input", "lines", "0",
"quantity"]; `returnReceive(id, location, lines)` -> ["lines", "0", "quantity"]. Ownership (a
customer returning another customer's order) is access, checked by the wiring before these.

Concurrency: the wiring runs these checks and writes the return while holding the order's row
lock (SELECT ... FOR UPDATE), so two concurrent requests cannot both take the last units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from domain.errors import DomainError, ErrorCode, FieldError, duplicate, invalid, not_found
from domain.returns.model import (
    Disposition,
    ExchangeLine,
    OrderLineSnapshot,
    OrderSnapshot,
    Return,
    ReturnLine,
    ReturnLocation,
    ReturnStatus,
    claimed_units,
)

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class ReturnLineRequest:
    order_line_id: str
    quantity: int
    reason: str


@dataclass(frozen=True, slots=True)
class CreateReturn:
    """Command: returnCreate's input."""

    order_number: str
    lines: tuple[ReturnLineRequest, ...]
    location: str | None = None
    exchange_lines: tuple[ExchangeLine, ...] = ()


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    order_line_id: str
    quantity: int
    disposition: Disposition


@dataclass(frozen=True, slots=True)
class ReceiveReturn:
    """Command: returnReceive's arguments."""

    location: str
    lines: tuple[ReceiptLine, ...]


def returnable_units(line: OrderLineSnapshot, returns: Sequence[Return]) -> int:
    """Shipped (or picked up) minus what returns already hold or took back; never negative."""
    return max(0, line.shipped - claimed_units(returns, line.line_id))


def _location_errors(
    location: ReturnLocation | None, code: str | None, path: tuple[str, ...]
) -> list[FieldError]:
    if code is None:
        return []
    if location is None or location.code != code:
        return [not_found(path, f"No location {code}.")]
    if not location.accepts_returns:
        return [invalid(path, f"Location {code} does not accept returns.")]
    return []


def validate_return_request(
    order: OrderSnapshot,
    returns: Sequence[Return],
    cmd: CreateReturn,
    location: ReturnLocation | None,
) -> list[FieldError]:
    """All problems with a return request; `location` is the looked-up `cmd.location`."""
    errors = _location_errors(location, cmd.location, ("input", "location"))
    if not cmd.lines:
        errors.append(invalid(("input", "lines"), "Return at least one line."))
    seen: set[str] = set()
    for i, request in enumerate(cmd.lines):
        path = ("input", "lines", str(i))
        line = order.line(request.order_line_id)
        if line is None:
            errors.append(not_found((*path, "orderLineId"), "No such line on this order."))
            continue
        if request.order_line_id in seen:
            errors.append(duplicate((*path, "orderLineId"), "This line is listed twice."))
            continue
        seen.add(request.order_line_id)
        if not request.reason.strip() or len(request.reason) > MAX_REASON:
            errors.append(invalid((*path, "reason"), f"Give a reason (1-{MAX_REASON} characters)."))
        allowed = returnable_units(line, returns)
        if request.quantity < 1:
            errors.append(invalid((*path, "quantity"), "Quantity must be at least 1."))
        elif request.quantity > allowed:
            errors.append(
                invalid(
                    (*path, "quantity"),
                    f"Only {allowed} unit(s) of {line.sku} can be returned "
                    f"({line.shipped} shipped, {line.shipped - allowed} already returned).",
                )
            )
    errors.extend(_exchange_errors(cmd))
    return errors


def _exchange_errors(cmd: CreateReturn) -> list[FieldError]:
    """An exchange replaces returned units one for one: at most as many as returned per line."""
    requested = {r.order_line_id: r.quantity for r in cmd.lines}
    taken: dict[str, int] = {}
    errors: list[FieldError] = []
    for i, exchange in enumerate(cmd.exchange_lines):
        path = ("input", "exchangeSkus", str(i))
        if exchange.order_line_id not in requested:
            errors.append(invalid((*path, "orderLineId"), "Exchange only a line being returned."))
            continue
        if not exchange.sku.strip():
            errors.append(invalid((*path, "sku"), "Give the replacement SKU."))
        taken[exchange.order_line_id] = taken.get(exchange.order_line_id, 0) + exchange.quantity
        if exchange.quantity < 1:
            errors.append(invalid((*path, "quantity"), "Quantity must be at least 1."))
        elif taken[exchange.order_line_id] > requested[exchange.order_line_id]:
            errors.append(
                invalid((*path, "quantity"), "Exchange at most as many units as are returned.")
            )
    return errors


def new_return(order: OrderSnapshot, cmd: CreateReturn, at: datetime) -> Return:
    """The REQUESTED return for a validated request."""
    lines = []
    for request in cmd.lines:
        line = order.line(request.order_line_id)
        assert line is not None  # validated
        lines.append(
            ReturnLine(request.order_line_id, line.sku, request.quantity, request.reason.strip())
        )
    return Return(
        order_number=order.number,
        status=ReturnStatus.REQUESTED,
        lines=tuple(lines),
        created_at=at,
        location=cmd.location,
        exchange_lines=cmd.exchange_lines,
    )


def request_return(
    order: OrderSnapshot,
    returns: Sequence[Return],
    cmd: CreateReturn,
    location: ReturnLocation | None,
    at: datetime,
) -> Return:
    """Validate and create; raises DomainError listing every problem."""
    errors = validate_return_request(order, returns, cmd, location)
    if errors:
        raise DomainError(errors)
    return new_return(order, cmd, at)


def receive_return(ret: Return, cmd: ReceiveReturn, location: ReturnLocation | None) -> Return:
    """Validate and receive; raises DomainError listing every problem."""
    errors = validate_receipt(ret, cmd, location)
    if errors:
        raise DomainError(errors)
    return receive(ret, cmd)


def validate_receipt(
    ret: Return, cmd: ReceiveReturn, location: ReturnLocation | None
) -> list[FieldError]:
    """Goods arrive once, at a location that accepts returns, no more than requested."""
    if ret.status is not ReturnStatus.REQUESTED:
        message = f"This return is {ret.status.value.lower()}; it can be received only once."
        return [FieldError(("id",), ErrorCode.INVALID_TRANSITION, message)]
    errors = _location_errors(location, cmd.location, ("location",))
    requested = {line.order_line_id: line.quantity for line in ret.lines}
    seen: set[str] = set()
    for i, receipt in enumerate(cmd.lines):
        path = ("lines", str(i))
        if receipt.order_line_id not in requested:
            errors.append(not_found((*path, "orderLineId"), "This line is not in the return."))
        elif receipt.order_line_id in seen:
            errors.append(duplicate((*path, "orderLineId"), "This line is listed twice."))
        elif not 0 <= receipt.quantity <= requested[receipt.order_line_id]:
            wanted = requested[receipt.order_line_id]
            errors.append(invalid((*path, "quantity"), f"Receive between 0 and {wanted} units."))
        seen.add(receipt.order_line_id)
    if not errors and sum(r.quantity for r in cmd.lines) == 0:
        errors.append(invalid(("lines",), "Nothing received: close the return instead."))
    return errors


def receive(ret: Return, cmd: ReceiveReturn) -> Return:
    """The RECEIVED return: units and disposition per line (lines not listed: none arrived)."""
    by_line = {r.order_line_id: r for r in cmd.lines}
    lines = tuple(
        replace(
            line,
            received=by_line[line.order_line_id].quantity if line.order_line_id in by_line else 0,
            disposition=by_line[line.order_line_id].disposition
            if line.order_line_id in by_line
            else None,
        )
        for line in ret.lines
    )
    received = ret.to(ReturnStatus.RECEIVED)
    return replace(received, lines=lines, received_at_location=cmd.location)


def ensure_refundable(ret: Return) -> None:
    """Refunding twice is impossible: only a RECEIVED return without a refund may be refunded.
    The wiring makes it atomic with a conditional update (`... SET status = 'REFUNDED' WHERE
    id = :id AND status = 'RECEIVED'`) and the return id as the gateway's idempotency key."""
    if ret.refund is not None or ret.status is ReturnStatus.REFUNDED:
        raise DomainError.single(
            ("id",), ErrorCode.INVALID_TRANSITION, "This return has already been refunded."
        )
    if ret.status is not ReturnStatus.RECEIVED:
        raise DomainError.single(
            ("id",),
            ErrorCode.INVALID_TRANSITION,
            f"A {ret.status.value.lower()} return cannot be refunded; receive it first.",
        )


def mark_refunded(ret: Return, amount: Decimal) -> Return:
    ensure_refundable(ret)
    return replace(ret.to(ReturnStatus.REFUNDED), refund=amount)
