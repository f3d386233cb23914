"""Recording financial events in the caller's unit of work (docs/ledger.md, "Wiring").

`record(uow, event)` is the one way a handler posts: the entry is appended in the same
transaction as the change it records, so a refused or rolled-back operation leaves no entry
and a committed one always has its entry. Handlers build the event from what their domain
computed (amounts already rounded); `post` only decides the accounts.

The order-side translations live here too, so every order handler posts the same way:
`shipped_event` (a Delivery with unit costs, prices with or without tax) and
`payment_event` (a payment fact recorded by settlement).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.ledger.model import JournalEntry
from domain.ledger.ports import LedgerRepository
from domain.ledger.postings import (
    LedgerEvent,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentVoided,
    Shipped,
    ShippedLine,
    post,
)
from domain.orders.effects import Delivery
from domain.payments import events as payment_events


class HasLedger(Protocol):
    @property
    def ledger(self) -> LedgerRepository: ...


async def record(uow: HasLedger, event: LedgerEvent) -> JournalEntry:
    """Post `event` into the current transaction; the entry with its id."""
    return await uow.ledger.append(post(event))


def shipped_event(
    delivery: Delivery,
    *,
    reference: str,
    currency: str,
    at: datetime,
    prices_include_tax: bool,
    unit_costs: Mapping[str, Decimal | None],
) -> Shipped:
    """The ledger's `Shipped` from what one shipment or handover delivered.

    Revenue is booked net of tax: with tax-inclusive prices the pieces' gross (and the
    shipping) carry their tax, which goes to SALES_TAX_PAYABLE instead, so receivable =
    gross - discount + tax is exactly what the delivery charges. A SKU without a unit cost
    posts no cost of goods (docs/ledger.md)."""

    def net_of_tax(amount: Decimal, tax: Decimal) -> Decimal:
        return amount - tax if prices_include_tax else amount

    lines = tuple(
        ShippedLine(
            piece.sku,
            piece.quantity,
            net_of_tax(piece.gross, piece.tax),
            piece.discount,
            piece.tax,
            unit_costs.get(piece.sku) or Decimal(0),
        )
        for piece in delivery.pieces
    )
    return Shipped(
        reference=reference,
        currency=currency,
        at=at,
        lines=lines,
        shipping=net_of_tax(delivery.shipping, delivery.shipping_tax),
        shipping_discount=delivery.shipping_discount,
        shipping_tax=delivery.shipping_tax,
    )


def payment_event(
    fact: payment_events.PaymentEvent, reference: str
) -> PaymentCaptured | PaymentVoided | None:
    """The ledger event of a capture or a release recorded on a payment. Refunds are not
    translated here: what a refund gives back (an appeasement, returned goods) is known only
    by the operation that asked for it, which posts `Appeased` or `Refunded` itself."""
    if isinstance(fact, payment_events.PaymentCaptured):
        return PaymentCaptured(
            reference=reference, currency=fact.currency, at=fact.at, amount=fact.amount
        )
    if isinstance(fact, payment_events.PaymentVoided):
        return PaymentVoided(
            reference=reference, currency=fact.currency, at=fact.at, amount=fact.amount
        )
    return None


def authorized_event(
    reference: str, currency: str, amount: Decimal, at: datetime
) -> PaymentAuthorized:
    return PaymentAuthorized(reference=reference, currency=currency, at=at, amount=amount)
