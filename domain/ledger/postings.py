"""One balanced journal entry per financial event (docs/ledger.md has the table).

Events carry amounts already computed and rounded by the domain that owns them (pricing,
payments, returns); posting only decides accounts. `post(event)` is the single entry point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from domain.ledger.accounts import Account
from domain.ledger.model import JournalEntry, build_entry
from domain.money import round_money
from domain.proration import prorate_units
from domain.returns.model import Disposition, OrderLineSnapshot
from domain.returns.refunds import RefundBreakdown, Settlement

A = Account


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEvent:
    reference: str  # order number; for stock events the location code
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentAuthorized(LedgerEvent):
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentVoided(LedgerEvent):
    """An authorization released without capture (void, expiry, order cancelled)."""

    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCaptured(LedgerEvent):
    amount: Decimal  # through the gateway; releases as much of the authorization
    store_credit: Decimal = Decimal(0)  # exchange credit applied to this order


@dataclass(frozen=True, slots=True)
class ShippedLine:
    sku: str
    quantity: int
    gross: Decimal
    discount: Decimal
    tax: Decimal
    unit_cost: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Shipped(LedgerEvent):
    """Goods left a location (shipment) or were handed over (pickup): revenue is earned.
    The order's shipping charge goes with its first shipment (zero on later ones)."""

    lines: tuple[ShippedLine, ...]
    shipping: Decimal = Decimal(0)
    shipping_discount: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Refunded(LedgerEvent):
    """Money given back: for returned goods (`breakdown`) and/or for captured goods that will
    never ship (`unshipped`, e.g. a cancellation after capture), split by `settlement`."""

    breakdown: RefundBreakdown | None
    unshipped: Decimal
    settlement: Settlement


class Tender(Enum):
    CASH = "CASH"  # back through the payment gateway
    STORE_CREDIT = "STORE_CREDIT"
    # Paid elsewhere (marketplace, till, exchange credit): whoever holds the shopper's money
    # pays them back, so what is still owed to us for the order shrinks; no gateway moves.
    RECEIVABLE = "RECEIVABLE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Appeased(LedgerEvent):
    amount: Decimal
    tender: Tender = Tender.CASH
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    sku: str
    quantity: int
    unit_cost: Decimal
    disposition: Disposition


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnReceived(LedgerEvent):
    lines: tuple[ReceivedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryWrittenOff(LedgerEvent):
    """Stock lost or damaged at a location (not through a return)."""

    sku: str
    quantity: int
    unit_cost: Decimal


def shipped_line(
    line: OrderLineSnapshot, shipped_before: int, quantity: int, currency: str
) -> ShippedLine:
    """The money of `quantity` more units of a line, prorated exactly like refunds are, so
    successive shipments of a line add up to the line."""
    net = prorate_units(line.net, line.units, shipped_before, quantity, currency)
    discount = prorate_units(line.discount, line.units, shipped_before, quantity, currency)
    tax = prorate_units(line.tax, line.units, shipped_before, quantity, currency)
    return ShippedLine(line.sku, quantity, net + discount, discount, tax, line.unit_cost)


def _check(currency: str, *amounts: Decimal) -> None:
    for amount in amounts:
        if amount < 0 or round_money(amount, currency) != amount:
            raise ValueError(f"{amount} is not a non-negative {currency} amount")


def _cost(unit_cost: Decimal, quantity: int, currency: str) -> Decimal:
    return round_money(max(Decimal(0), unit_cost) * quantity, currency)


def _entry(
    event: LedgerEvent,
    name: str,
    debits: list[tuple[Account, Decimal]],
    credits: list[tuple[Account, Decimal]],
    memo: str = "",
) -> JournalEntry:
    return build_entry(
        at=event.at,
        event=name,
        reference=event.reference,
        currency=event.currency,
        debits=debits,
        credits=credits,
        memo=memo,
    )


def post(event: LedgerEvent) -> JournalEntry:
    """The journal entry for `event`. An event worth nothing gives an entry with no lines (the
    trail still shows it happened)."""
    if isinstance(event, PaymentAuthorized):
        return _authorized(event)
    if isinstance(event, PaymentVoided):
        return _voided(event)
    if isinstance(event, PaymentCaptured):
        return _captured(event)
    if isinstance(event, Shipped):
        return _shipped(event)
    if isinstance(event, Refunded):
        return _refunded(event)
    if isinstance(event, Appeased):
        return _appeased(event)
    if isinstance(event, ReturnReceived):
        return _return_received(event)
    if isinstance(event, InventoryWrittenOff):
        return _written_off(event)
    raise TypeError(f"no posting rule for {type(event).__name__}")


def _authorized(event: PaymentAuthorized) -> JournalEntry:
    """Memo only: an authorization holds the shopper's funds but moves no money."""
    _check(event.currency, event.amount)
    return _entry(
        event,
        "payment.authorized",
        [(A.AUTHORIZATIONS_OPEN, event.amount)],
        [(A.AUTHORIZATIONS_CONTRA, event.amount)],
    )


def _voided(event: PaymentVoided) -> JournalEntry:
    _check(event.currency, event.amount)
    return _entry(
        event,
        "payment.voided",
        [(A.AUTHORIZATIONS_CONTRA, event.amount)],
        [(A.AUTHORIZATIONS_OPEN, event.amount)],
    )


def _captured(event: PaymentCaptured) -> JournalEntry:
    _check(event.currency, event.amount, event.store_credit)
    return _entry(
        event,
        "payment.captured",
        [
            (A.PAYMENT_CLEARING, event.amount),
            (A.STORE_CREDIT, event.store_credit),
            (A.AUTHORIZATIONS_CONTRA, event.amount),
        ],
        [
            (A.ACCOUNTS_RECEIVABLE, event.amount + event.store_credit),
            (A.AUTHORIZATIONS_OPEN, event.amount),
        ],
    )


def _shipped(event: Shipped) -> JournalEntry:
    cur = event.currency
    _check(cur, event.shipping, event.shipping_discount, event.shipping_tax)
    for line in event.lines:
        _check(cur, line.gross, line.discount, line.tax)
        if line.discount > line.gross:
            raise ValueError(f"{line.sku}: discount above the line")
    if event.shipping_discount > event.shipping:
        raise ValueError("shipping discount above shipping")
    gross = sum((line.gross for line in event.lines), Decimal(0))
    discount = sum((line.discount for line in event.lines), event.shipping_discount)
    tax = sum((line.tax for line in event.lines), event.shipping_tax)
    cost = sum((_cost(line.unit_cost, line.quantity, cur) for line in event.lines), Decimal(0))
    owed = gross + event.shipping + tax - discount
    return _entry(
        event,
        "order.shipped",
        [
            (A.ACCOUNTS_RECEIVABLE, owed),
            (A.SALES_DISCOUNTS, discount),
            (A.COST_OF_GOODS_SOLD, cost),
        ],
        [
            (A.SALES_REVENUE, gross),
            (A.SHIPPING_REVENUE, event.shipping),
            (A.SALES_TAX_PAYABLE, tax),
            (A.INVENTORY, cost),
        ],
    )


def _refunded(event: Refunded) -> JournalEntry:
    cur = event.currency
    parts = event.settlement
    _check(cur, event.unshipped, parts.receivable, parts.store_credit, parts.cash, parts.goodwill)
    debits: list[tuple[Account, Decimal]] = [(A.ACCOUNTS_RECEIVABLE, event.unshipped)]
    credits: list[tuple[Account, Decimal]] = [
        (A.PAYMENT_CLEARING, parts.cash),
        (A.STORE_CREDIT, parts.store_credit),
        (A.ACCOUNTS_RECEIVABLE, parts.receivable),
        (A.APPEASEMENTS, parts.goodwill),
    ]
    value = event.unshipped
    refund = event.breakdown
    if refund is not None:
        if refund.currency != cur:
            raise ValueError("refund breakdown in another currency")
        gross = sum((line.gross for line in refund.lines), Decimal(0))
        discount = sum((line.discount for line in refund.lines), refund.shipping_discount)
        debits += [
            (A.SALES_RETURNS, gross),
            (A.SHIPPING_REVENUE, refund.shipping),
            (A.SALES_TAX_PAYABLE, refund.tax),
        ]
        credits.append((A.SALES_DISCOUNTS, discount))
        value += refund.total
    if parts.total != value:
        raise ValueError(f"settlement {parts.total} does not match the refund {value}")
    return _entry(event, "refund", debits, credits)


def _appeased(event: Appeased) -> JournalEntry:
    _check(event.currency, event.amount)
    paid_from = {
        Tender.CASH: A.PAYMENT_CLEARING,
        Tender.STORE_CREDIT: A.STORE_CREDIT,
        Tender.RECEIVABLE: A.ACCOUNTS_RECEIVABLE,
    }[event.tender]
    return _entry(
        event,
        "appeasement",
        [(A.APPEASEMENTS, event.amount)],
        [(paid_from, event.amount)],
        memo=event.reason,
    )


# A returned unit's cost leaves cost of goods sold for where the unit went.
_DISPOSED_TO = {
    Disposition.RESTOCK: A.INVENTORY,
    Disposition.DISCARD: A.INVENTORY_WRITE_OFFS,
    Disposition.RETURN_TO_VENDOR: A.VENDOR_RETURNS_RECEIVABLE,
}


def _return_received(event: ReturnReceived) -> JournalEntry:
    cur = event.currency
    debits = [
        (_DISPOSED_TO[line.disposition], _cost(line.unit_cost, line.quantity, cur))
        for line in event.lines
    ]
    total = sum((amount for _, amount in debits), Decimal(0))
    return _entry(event, "return.received", debits, [(A.COST_OF_GOODS_SOLD, total)])


def _written_off(event: InventoryWrittenOff) -> JournalEntry:
    cost = _cost(event.unit_cost, event.quantity, event.currency)
    return _entry(
        event,
        "inventory.written_off",
        [(A.INVENTORY_WRITE_OFFS, cost)],
        [(A.INVENTORY, cost)],
        memo=f"{event.quantity} x {event.sku}",
    )
