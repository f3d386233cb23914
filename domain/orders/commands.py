"""Commands: what a client asks the orders domain to do (imperative names). Resolvers build
them from GraphQL input; handlers run each in one unit of work. `actor` names who asked
(e.g. "token:12", "customer:abc"), recorded in the order's history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import FieldError, invalid, not_found
from domain.locations.model import Address, Location
from domain.orders.cart import MAX_CART_LINES, CartLineRequest, address_errors, quantity_errors


@dataclass(frozen=True, slots=True)
class PaymentDetails:
    gateway: str
    token: str


@dataclass(frozen=True, slots=True)
class CreateCart:
    channel: str
    lines: tuple[CartLineRequest, ...] = ()
    customer_email: str | None = None
    shipping_address: Address | None = None
    customer_id: str | None = None
    source_code: str | None = None


@dataclass(frozen=True, slots=True)
class AddCartLines:
    cart_id: str
    lines: tuple[CartLineRequest, ...]


@dataclass(frozen=True, slots=True)
class UpdateCartLine:
    cart_id: str
    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class SetCartShippingAddress:
    cart_id: str
    address: Address


@dataclass(frozen=True, slots=True)
class ApplyCartCoupon:
    cart_id: str
    code: str


@dataclass(frozen=True, slots=True)
class ReserveCart:
    cart_id: str
    ttl_seconds: int = 900


@dataclass(frozen=True, slots=True)
class CompleteCart:
    cart_id: str
    payment: PaymentDetails
    delivery_option: str | None = None
    customer_email: str | None = None
    idempotency_key: str | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineRequest:
    sku: str
    quantity: int
    unit_price: Decimal | None = None  # a marketplace's own price; else the channel's


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """An order created directly by a marketplace, POS or call center."""

    channel: str
    lines: tuple[OrderLineRequest, ...]
    email: str | None = None
    shipping_address: Address | None = None
    delivery_option: str | None = None
    pickup_location: str | None = None  # every line picked up there (POS, call center)
    coupon_codes: tuple[str, ...] = ()
    source_code: str | None = None
    payment: PaymentDetails | None = None
    external_reference: str | None = None
    idempotency_key: str | None = None
    actor: str | None = None


def place_order_errors(
    cmd: PlaceOrder,
    prices: Mapping[str, Decimal],
    pickup_locations: Mapping[str, Location],
) -> list[FieldError]:
    """Shape and reference problems of a PlaceOrder, every one at once."""
    base = ("input",)
    errors: list[FieldError] = []
    if not cmd.lines:
        errors.append(invalid((*base, "lines"), "An order needs at least one line."))
    if len(cmd.lines) > MAX_CART_LINES:
        errors.append(invalid((*base, "lines"), f"An order holds at most {MAX_CART_LINES} lines."))
    for i, line in enumerate(cmd.lines):
        path = (*base, "lines", str(i))
        if line.unit_price is None and line.sku not in prices:
            errors.append(not_found((*path, "sku"), f"SKU {line.sku!r} is not sold here."))
        errors.extend(quantity_errors(line.quantity, (*path, "quantity")))
        if line.unit_price is not None and (not line.unit_price.is_finite() or line.unit_price < 0):
            errors.append(invalid((*path, "unitPrice"), "A unit price must not be negative."))
    if cmd.pickup_location is not None:
        location = pickup_locations.get(cmd.pickup_location)
        field = (*base, "pickupLocation")
        if location is None:
            errors.append(not_found(field, f"Location {cmd.pickup_location!r} does not exist."))
        elif not location.can_pickup:
            errors.append(invalid(field, f"Location {location.code!r} does not offer pickup."))
    elif cmd.shipping_address is None:
        errors.append(invalid((*base, "shippingAddress"), "Ship to an address or pick up."))
    if cmd.shipping_address is not None:
        errors.extend(address_errors(cmd.shipping_address, (*base, "shippingAddress")))
    return errors


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class CancelOrderLine:
    order_id: str
    line_id: str
    quantity: int
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeOrderShippingAddress:
    order_id: str
    address: Address
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class HoldOrder:
    order_id: str
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseOrder:
    order_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AppeaseOrder:
    order_id: str
    amount: Decimal
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptFulfillment:
    fulfillment_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class RejectFulfillment:
    fulfillment_id: str
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class PickFulfillment:
    fulfillment_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class PackFulfillment:
    fulfillment_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ShipFulfillment:
    fulfillment_id: str
    carrier: str
    tracking_number: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class MarkReadyForPickup:
    fulfillment_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmPickup:
    fulfillment_id: str
    pickup_code: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class ExpirePickups:
    """Run by a scheduler: expire every pickup ready for longer than the channel's hold."""

    now: datetime


@dataclass(frozen=True, slots=True)
class ReleaseBackorders:
    """Run when supply arrives: re-source backordered units of these SKUs."""

    skus: Sequence[str]
