"""What a return gives back, exact to the minor unit (policy: docs/returns.md).

- A returned unit gives back its share of the line as charged: of the line's net (gross minus
  its discount, order promotions included) and of its tax, by `prorate_units`, so any split of
  a line's returns adds up to exactly the line, never a cent more.
- Shipping (net of its discount, with its tax) is given back with the refund that completes
  the return of the whole order, and only then.
- The money goes first against what the customer still owes, then to an exchange, then back
  through the gateway up to what was captured and not yet refunded; what is left had already
  been given back (an appeasement) and offsets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.money import round_money
from domain.proration import prorate_units, zero
from domain.returns.model import OrderSnapshot, Return, refunded_units


@dataclass(frozen=True, slots=True)
class LineRefund:
    order_line_id: str
    sku: str
    units: int
    gross: Decimal
    discount: Decimal
    tax: Decimal

    @property
    def amount(self) -> Decimal:
        return self.gross - self.discount + self.tax


@dataclass(frozen=True, slots=True)
class RefundBreakdown:
    currency: str
    lines: tuple[LineRefund, ...]
    shipping: Decimal
    shipping_discount: Decimal
    shipping_tax: Decimal

    @property
    def merchandise(self) -> Decimal:
        return sum((line.gross - line.discount for line in self.lines), zero(self.currency))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), self.shipping_tax)

    @property
    def total(self) -> Decimal:
        lines = sum((line.amount for line in self.lines), zero(self.currency))
        return lines + self.shipping - self.shipping_discount + self.shipping_tax


def compute_refund(
    order: OrderSnapshot, units: Mapping[str, int], earlier: Sequence[Return]
) -> RefundBreakdown:
    """The refund for `units` more units per order line, after the order's `earlier` returns
    (only the refunded ones count). Raises ValueError on units the rules would have refused."""
    cur = order.currency
    lines = []
    complete = not order.shipping_refunded
    for line in order.lines:
        now = units.get(line.line_id, 0)
        before = refunded_units(earlier, line.line_id)
        if now < 0 or before + now > min(line.units, line.shipped):
            raise ValueError(f"cannot refund {now} more unit(s) of line {line.line_id}")
        complete = complete and before + now == line.units
        if now == 0:
            continue
        net = prorate_units(line.net, line.units, before, now, cur)
        discount = prorate_units(line.discount, line.units, before, now, cur)
        tax = prorate_units(line.tax, line.units, before, now, cur)
        lines.append(LineRefund(line.line_id, line.sku, now, net + discount, discount, tax))
    unknown = set(units) - {line.line_id for line in order.lines}
    if unknown:
        raise ValueError(f"no order line {sorted(unknown)}")
    nothing = zero(cur)
    ship = (
        (order.shipping, order.shipping_discount, order.shipping_tax)
        if complete
        else (nothing,) * 3
    )
    return RefundBreakdown(cur, tuple(lines), *(round_money(a, cur) for a in ship))


def refund_for_return(
    order: OrderSnapshot, ret: Return, earlier: Sequence[Return]
) -> RefundBreakdown:
    """The refund for a received return: its received units."""
    received: dict[str, int] = {}
    for line in ret.lines:
        received[line.order_line_id] = received.get(line.order_line_id, 0) + (line.received or 0)
    return compute_refund(order, received, earlier)


def estimate_for_request(
    order: OrderSnapshot, ret: Return, earlier: Sequence[Return]
) -> RefundBreakdown:
    """What a return is worth if every requested unit arrives (to price an exchange upfront)."""
    requested: dict[str, int] = {}
    for line in ret.lines:
        requested[line.order_line_id] = requested.get(line.order_line_id, 0) + line.quantity
    return compute_refund(order, requested, earlier)


@dataclass(frozen=True, slots=True)
class Settlement:
    """Where a refund's value goes; the parts sum to the value."""

    receivable: Decimal  # cancels what the customer still owed for these goods
    store_credit: Decimal  # applied to the exchange order
    cash: Decimal  # back through the payment gateway
    goodwill: Decimal  # had already been given back (appeasements): offsets them

    @property
    def total(self) -> Decimal:
        return self.receivable + self.store_credit + self.cash + self.goodwill


def settle_refund(
    value: Decimal,
    *,
    receivable_open: Decimal,
    refundable_cash: Decimal,
    exchange_credit: Decimal = Decimal(0),
) -> Settlement:
    """Split a refund's value. `receivable_open` is what the order still owes (its receivable
    balance when positive), `refundable_cash` is captured minus refunded through the gateway,
    `exchange_credit` the price of the replacement order. Cash never exceeds refundable_cash:
    a refund can never send back more than was captured."""
    if value < 0:
        raise ValueError("a refund is not negative")
    receivable = min(value, max(Decimal(0), receivable_open))
    left = value - receivable
    store_credit = min(left, max(Decimal(0), exchange_credit))
    left -= store_credit
    cash = min(left, max(Decimal(0), refundable_cash))
    return Settlement(receivable, store_credit, cash, left - cash)


@dataclass(frozen=True, slots=True)
class ExchangeDifference:
    charge: Decimal  # to collect on the exchange order
    refund: Decimal  # to give back


def exchange_difference(credit: Decimal, replacement_total: Decimal) -> ExchangeDifference:
    """The returned units are worth `credit`; the replacement order costs `replacement_total`
    (after its own discounts, with tax and shipping). One of the two results is zero."""
    difference = replacement_total - credit
    nothing = difference - difference  # keeps the currency's exponent
    return ExchangeDifference(max(difference, nothing), max(-difference, nothing))
