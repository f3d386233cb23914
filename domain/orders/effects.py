"""What an order operation asks the handler to do, besides saving the order: stock
movements (same transaction), deliveries (for the ledger) and payment actions (at the
gateway, then recorded on the payment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class StockEffectKind(Enum):
    ALLOCATE = "ALLOCATE"  # available -> allocated at the location
    RELEASE = "RELEASE"  # allocated -> available (cancel, reject, expiry)
    OUTBOUND = "OUTBOUND"  # allocated units leave onHand (shipped, handed over): a movement


@dataclass(frozen=True, slots=True)
class StockEffect:
    kind: StockEffectKind
    sku: str
    location_id: int
    quantity: int
    fulfillment_id: str


@dataclass(frozen=True, slots=True)
class Capture:
    amount: Decimal
    fulfillment_id: str


@dataclass(frozen=True, slots=True)
class Refund:
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class ReleaseAuthorization:
    """Nothing is left to deliver: release what is authorized and not captured."""


PaymentAction = Capture | Refund | ReleaseAuthorization


@dataclass(frozen=True, slots=True)
class ShippedPiece:
    """Units of one line delivered, with their money prorated exactly like captures and
    refunds are (domain/proration.py): the pieces of all deliveries add up to the line."""

    order_line_id: str
    sku: str
    quantity: int
    gross: Decimal  # unit price x units, before discount
    discount: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one shipment or handover delivered: the ledger's `Shipped` event is built from it,
    and `charge` is what gets captured for it (shipping goes with the first parcel)."""

    fulfillment_id: str
    location_id: int
    pieces: tuple[ShippedPiece, ...]
    shipping: Decimal
    shipping_discount: Decimal
    shipping_tax: Decimal
    charge: Decimal


@dataclass(slots=True)
class Effects:
    stock: list[StockEffect] = field(default_factory=list)
    payments: list[PaymentAction] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
