"""What the returns handlers share: the order as the return rules see it (snapshot), the
location as they see it, finding a return with the caller's bindings applied, and the
order's history entry and status event for a change of one of its returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from domain.access import Actor
from domain.errors import DomainError, not_found
from domain.locations.model import Location
from domain.orders.billing import piece
from domain.orders.events import OrderStatusChanged
from domain.orders.model import Order, location_codes, record
from domain.ports import UnitOfWork
from domain.returns.model import (
    OrderLineSnapshot,
    OrderSnapshot,
    Return,
    ReturnLocation,
    accepts_returns_by_default,
    claimed_units,
)

ZERO = Decimal(0)


def return_location(location: Location | None) -> ReturnLocation | None:
    """The location's `acceptsReturns`: its own setting, else the default for its kind."""
    if location is None:
        return None
    accepts = location.accepts_returns
    if accepts is None:
        accepts = accepts_returns_by_default(location.kind)
    return ReturnLocation(location.code, accepts)


def order_snapshot(order: Order, unit_costs: Mapping[str, Decimal]) -> OrderSnapshot:
    """The order's lines as charged, tax apart. Billable units are the ones not cancelled;
    their money is the cumulative share of the line (domain/orders/billing.py), so refunds
    and deliveries prorate from the same figures. A tax-inclusive channel's gross holds its
    tax: it is taken out, so `gross - discount + tax` is what the shopper paid either way."""
    currency, totals = order.currency, order.totals
    inclusive = totals.prices_include_tax
    lines = []
    for line in order.lines:
        part = piece(line, 0, line.open_quantity, currency)
        lines.append(
            OrderLineSnapshot(
                line_id=line.id,
                sku=line.sku,
                units=line.open_quantity,
                shipped=line.quantity_shipped,
                gross=part.gross - part.tax if inclusive else part.gross,
                discount=part.discount,
                tax=part.tax,
                unit_cost=unit_costs.get(line.sku, ZERO),
            )
        )
    shipping = totals.shipping_total - totals.shipping_tax if inclusive else totals.shipping_total
    payment = order.payment
    return OrderSnapshot(
        number=order.number,
        currency=currency,
        lines=tuple(lines),
        shipping=shipping,
        shipping_discount=totals.shipping_discount,
        shipping_tax=totals.shipping_tax,
        shipping_refunded=not order.shipping_captured,  # never charged: nothing to give back
        captured=payment.captured if payment is not None else ZERO,
        refunded=payment.refunded if payment is not None else ZERO,
    )


async def unit_costs(uow: UnitOfWork, skus: Sequence[str]) -> dict[str, Decimal]:
    variants = await uow.catalog.variants_by_sku(set(skus))
    return {sku: v.unit_cost or ZERO for sku, v in variants.items()}


def not_visible(field: Sequence[str], what: str) -> DomainError:
    return DomainError([not_found(field, f"No such {what}.")])


def sees(actor: Actor, order: Order, announced: str | None = None) -> bool:
    """The order's bindings (channel, shopper); a location-bound token (a store) also sees
    an order with work at its location, or whose return is announced to it."""
    codes = [*location_codes(order), *([announced] if announced else [])]
    return actor.sees_order(order.channel, order.email, codes)


async def return_for(
    uow: UnitOfWork, return_id: int, actor: Actor, field: Sequence[str] = ("id",)
) -> tuple[Order, Return]:
    """The return and its order, the order row locked until commit (every use case on an
    order's returns holds it, so they run one at a time); NOT_FOUND when either does not
    exist or the token may not see the order."""
    found = await uow.returns.get(return_id)
    if found is None or found.order_id is None:
        raise not_visible(field, "return")
    order = await uow.orders.get(found.order_id, for_update=True)
    if order is None or not sees(actor, order, found.location):
        raise not_visible(field, "return")
    current = await uow.returns.get(return_id)  # as of the lock: a concurrent change shows
    assert current is not None
    return order, current


def hold_returned_units(order: Order, returns: Sequence[Return]) -> None:
    """`quantityReturned` of each line: units its returns hold or took back."""
    for line in order.lines:
        line.quantity_returned = claimed_units(returns, line.id)


def announce(order: Order, ret: Return, kind: str, message: str, actor: Actor) -> None:
    """A history entry, and an orderStatusChanged event carrying the (unchanged) status, so
    apps watching the order learn of the return's progress without polling."""
    at = ret.updated_at or ret.created_at
    record(order, at, kind, message, actor.name)
    order.events.append(
        OrderStatusChanged(
            order_id=order.id,
            order_number=order.number,
            channel=order.channel,
            customer_id=order.customer_id,
            at=at,
            actor=actor.name,
            previous_status=order.status,
            status=order.status,
            location_codes=location_codes(order),
        )
    )
