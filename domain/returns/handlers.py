"""Returns, end to end: create, receive, refund - each in one unit of work, holding the
order's row lock (docs/returns.md, "Wiring"). The rules are rules.py's and refunds.py's.

Who (docs/access.md): `returns:write`. A customer token returns its own orders only (another
shopper's order is NOT_FOUND) and may neither receive nor refund; a location-bound token (a
store) creates and receives returns at its own location only; refunds send money back and
are for unbound tokens (the schema's policy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from domain.access import Actor
from domain.errors import DomainError, ErrorCode, forbidden
from domain.ledger.postings import ReceivedLine, Refunded, ReturnReceived
from domain.ledger.recording import record
from domain.orders.commands import PaymentDetails
from domain.orders.handlers.checkout import Gateways
from domain.orders.handlers.operations import finish, order_for
from domain.orders.model import Order
from domain.payments.model import record_refund
from domain.payments.ports import GatewayOutcome
from domain.ports import UnitOfWork
from domain.proration import zero
from domain.returns.exchanges import exchange_credit, place_exchange, release_exchange
from domain.returns.model import Disposition, Return, ReturnStatus
from domain.returns.refunds import refund_for_return, settle_refund
from domain.returns.restock import restock
from domain.returns.rules import (
    CreateReturn,
    ReceiveReturn,
    ensure_refundable,
    receive_return,
    request_return,
)
from domain.returns.wiring import (
    announce,
    hold_returned_units,
    order_snapshot,
    return_for,
    return_location,
    sees,
    unit_costs,
)

CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class CreateReturnFor:
    """returnCreate: the rules' command plus the order it is for."""

    order_id: str
    request: CreateReturn
    payment: PaymentDetails | None = None  # for a dearer exchange (exchanges.py)


def _require_staff(actor: Actor, what: str) -> None:
    if actor.kind == CUSTOMER:
        raise DomainError.single(("id",), ErrorCode.FORBIDDEN, f"Customers cannot {what}.")


def _require_own_location(actor: Actor, code: str | None, field: tuple[str, ...]) -> None:
    if actor.location is not None and code != actor.location:
        raise DomainError([forbidden(field, f"This token acts only at location {actor.location}.")])


async def create_return(
    cmd: CreateReturnFor, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> tuple[Order, Return]:
    """A REQUESTED return of shipped or picked-up units, to a location that accepts returns
    (or mailed back). Never more than shipped minus what other returns hold: checked and
    written under the order's row lock, so two concurrent returns cannot both take the last
    units. With exchange lines, the replacement order is placed in the same transaction."""
    request = cmd.request
    _require_own_location(actor, request.location, ("input", "location"))
    async with uow:
        if actor.location is not None:
            order = await uow.orders.get(cmd.order_id, for_update=True)
            if order is None or not sees(actor, order, request.location):
                raise DomainError.single(
                    ("input", "orderId"), ErrorCode.NOT_FOUND, "No such order."
                )
        else:
            order = await order_for(uow, cmd.order_id, actor, ("input", "orderId"))
        existing = await uow.returns.of_order(order.id)
        found = None
        if request.location is not None:
            found = (await uow.locations.by_codes([request.location])).get(request.location)
        snapshot = order_snapshot(order, {})
        ret = request_return(snapshot, existing, request, return_location(found), now)
        ret = replace(ret, order_id=order.id, currency=order.currency, updated_at=now)
        if ret.exchange_lines:
            exchange = await place_exchange(
                uow, order, snapshot, ret, existing, actor, gateways, now, cmd.payment
            )
            ret = replace(ret, exchange_order_id=exchange.id)
        ret = await uow.returns.add(ret, now)
        hold_returned_units(order, [*existing, ret])
        units = sum(line.quantity for line in ret.lines)
        where = f" at {ret.location}" if ret.location else " (mail-back)"
        announce(order, ret, "RETURN_REQUESTED", f"Return {ret.id}: {units} unit(s){where}", actor)
        await finish(uow, order)
        await uow.commit()
    return order, ret


async def receive(
    return_id: int, cmd: ReceiveReturn, actor: Actor, uow: UnitOfWork, now: datetime
) -> tuple[Order, Return]:
    """Goods in, once: per line the units that arrived and what becomes of them. RESTOCK
    puts them back into the receiving location's onHand through the movement journal (the
    availability feed moves with it); DISCARD writes them off; RETURN_TO_VENDOR records a
    vendor return. The ledger takes their cost out of COGS to the matching account."""
    _require_staff(actor, "receive returns")
    _require_own_location(actor, cmd.location, ("location",))
    async with uow:
        order, ret = await return_for(uow, return_id, actor)
        found = (await uow.locations.by_codes([cmd.location])).get(cmd.location)
        received = replace(receive_return(ret, cmd, return_location(found)), updated_at=now)
        if not await uow.returns.save_receipt(received, now):
            raise DomainError.single(
                ("id",), ErrorCode.INVALID_TRANSITION, "This return was already received."
            )
        others = [r for r in await uow.returns.of_order(order.id) if r.id != return_id]
        hold_returned_units(order, [*others, received])
        # The exchange order's row before any position: the lock order of orders/ports.py.
        await release_exchange(uow, received, actor, now)
        assert found is not None  # receive_return refused an unknown location
        summary = await _book_in(uow, order, received, found.id, now)
        announce(
            order,
            received,
            "RETURN_RECEIVED",
            f"Return {return_id} received at {cmd.location}: {summary}",
            actor,
        )
        await finish(uow, order)
        await uow.commit()
    return order, received


async def _book_in(
    uow: UnitOfWork, order: Order, received: Return, location_id: int, now: datetime
) -> str:
    """Restocked units back into the location's onHand; every arrived unit's cost out of
    COGS to where it went (ledger). Returns what arrived, for the order's history."""
    arrived = [
        (line, line.disposition)
        for line in received.lines
        if line.received and line.disposition is not None
    ]
    back = {line.sku: line.received or 0 for line, d in arrived if d is Disposition.RESTOCK}
    await restock(uow, location_id, back, f"return:{received.id}", now)
    costs = await unit_costs(uow, [line.sku for line, _ in arrived])
    lines = tuple(
        ReceivedLine(line.sku, line.received or 0, costs.get(line.sku, Decimal(0)), d)
        for line, d in arrived
    )
    event = ReturnReceived(reference=order.number, currency=order.currency, at=now, lines=lines)
    await record(uow, event)
    return ", ".join(f"{line.received} x {line.sku} {d.value}" for line, d in arrived)


async def refund(
    return_id: int, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> tuple[Order, Return]:
    """Refund a received return, once (docs/returns.md, the policy): its units' share of
    each line as charged, shipping with the return that completes the order, first to the
    exchange order's credit, then back through the gateway with the return's id as the
    idempotency key. The order's row lock and `mark_refunded`'s conditional update make a
    second refund - concurrent or not - an INVALID_TRANSITION that moves no money."""
    _require_staff(actor, "refund returns")
    async with uow:
        order, ret = await return_for(uow, return_id, actor)
        ensure_refundable(ret)
        others = [r for r in await uow.returns.of_order(order.id) if r.id != return_id]
        snapshot = order_snapshot(order, {})
        breakdown = refund_for_return(snapshot, ret, others)
        value = breakdown.total
        payment = order.payment
        credit = Decimal(0)
        if ret.exchange_order_id is not None:
            credit = exchange_credit(await uow.orders.get(ret.exchange_order_id))
        settlement = settle_refund(
            value,
            receivable_open=Decimal(0),  # shipments are captured as they leave
            refundable_cash=payment.refundable if payment is not None else Decimal(0),
            exchange_credit=credit,
        )
        if payment is None:
            # Paid elsewhere (marketplace, till, an exchange's credit): no gateway moves;
            # whoever holds the shopper's money gives it back, and what is owed to us for
            # the order shrinks by as much (ACCOUNTS_RECEIVABLE, as for an appeasement).
            settlement = replace(
                settlement,
                receivable=settlement.receivable + settlement.goodwill,
                goodwill=settlement.goodwill - settlement.goodwill,
            )
        if payment is not None and settlement.cash > 0:
            await _refund_at_gateway(order, settlement.cash, return_id, gateways, now)
        if not await uow.returns.mark_refunded(return_id, value, now):
            raise DomainError.single(
                ("id",), ErrorCode.INVALID_TRANSITION, "This return has already been refunded."
            )
        refund_event = Refunded(
            reference=order.number,
            currency=order.currency,
            at=now,
            breakdown=breakdown,
            unshipped=zero(order.currency),
            settlement=settlement,
        )
        await record(uow, refund_event)
        refunded = replace(ret, status=ReturnStatus.REFUNDED, refund=value, updated_at=now)
        parts = f"{settlement.cash} {order.currency} to the payment"
        if settlement.store_credit:
            parts += f", {settlement.store_credit} to exchange order credit"
        announce(
            order,
            refunded,
            "RETURN_REFUNDED",
            f"Return {return_id} refunded {value} {order.currency}: {parts}",
            actor,
        )
        await finish(uow, order)
        await uow.commit()
    return order, refunded


async def _refund_at_gateway(
    order: Order, amount: Decimal, return_id: int, gateways: Gateways, now: datetime
) -> None:
    payment = order.payment
    assert payment is not None
    gateway = gateways.get(payment.gateway)
    if gateway is None:
        raise RuntimeError(f"payment gateway {payment.gateway!r} is not configured")
    # One key per return: a retry after a crash gets the provider's first answer.
    result = await gateway.refund(
        payment.authorization, amount, payment.currency, f"{order.id}:return:{return_id}"
    )
    if result.outcome is not GatewayOutcome.APPROVED:
        reason = (
            "did not answer; try again later"
            if result.outcome is GatewayOutcome.FAILED
            else f"refused it ({result.message or result.code or 'declined'})"
        )
        raise DomainError.single(
            ("id",), ErrorCode.PAYMENT_DECLINED, f"The payment provider {reason}: refund."
        )
    record_refund(payment, amount, result, now)
