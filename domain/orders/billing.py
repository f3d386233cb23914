"""The money of delivered units: prorated per component (gross, discount, tax) with the
cumulative rule of domain/proration.py, over the units ordered. Units 0..n of a line cost the
cumulative share of n, so deliveries of any sizes add up to the line exactly; cancelled units
are the last ones and are never charged."""

from __future__ import annotations

from decimal import Decimal

from domain.orders.effects import Delivery, ShippedPiece
from domain.orders.model import Fulfillment, Order, OrderLine
from domain.proration import prorate_units, zero


def piece(line: OrderLine, before: int, count: int, currency: str) -> ShippedPiece:
    def share(amount: Decimal) -> Decimal:
        return prorate_units(amount, line.quantity, before, count, currency)

    return ShippedPiece(
        line.id, line.sku, count, share(line.subtotal), share(line.discount), share(line.tax)
    )


def piece_charge(p: ShippedPiece, prices_include_tax: bool) -> Decimal:
    net = p.gross - p.discount
    return net if prices_include_tax else net + p.tax


def delivery(order: Order, fulfillment: Fulfillment, with_shipping: bool) -> Delivery:
    """What delivering `fulfillment` now is worth (before its units count as shipped)."""
    currency, totals = order.currency, order.totals
    pieces = tuple(
        piece(
            order.line(fl.order_line_id),
            order.line(fl.order_line_id).quantity_shipped,
            fl.quantity,
            currency,
        )
        for fl in fulfillment.lines
        if fl.quantity > 0
    )
    charge = sum((piece_charge(p, totals.prices_include_tax) for p in pieces), zero(currency))
    nothing = zero(currency)
    return Delivery(
        fulfillment_id=fulfillment.id,
        location_id=fulfillment.location_id,
        pieces=pieces,
        shipping=totals.shipping_total if with_shipping else nothing,
        shipping_discount=totals.shipping_discount if with_shipping else nothing,
        shipping_tax=totals.shipping_tax if with_shipping else nothing,
        charge=charge + (totals.shipping_charge if with_shipping else nothing),
    )


def value_of_open_units(order: Order) -> Decimal:
    """What the units not cancelled cost, shipping excluded."""
    return sum(
        (
            piece_charge(
                piece(ln, 0, ln.open_quantity, order.currency), order.totals.prices_include_tax
            )
            for ln in order.lines
        ),
        zero(order.currency),
    )
