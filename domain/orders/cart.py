"""Carts: lines shipped or picked up, a shipping address, coupon codes, a reservation.

A cart is an immutable value; every edit returns a new cart or raises a DomainError carrying
every problem of the input at once. Prices are not stored on lines: pricing reads the
channel's price list each time, so a cart never shows a stale price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from domain.errors import FieldError, invalid, not_found
from domain.locations.model import Address, Location, validate_geo
from domain.orders.errors import invalid_transition, raise_if
from domain.orders.lifecycle import FulfillmentMethod

# A storefront cart line above 999 units is a typo or an attack on stock, not a purchase;
# B2B volumes belong to orderPlace from a trusted channel, which uses the same bound.
MAX_LINE_QUANTITY = 999
MAX_CART_LINES = 100
MAX_COUPON_CODES = 5
COUPON_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
MIN_RESERVE_SECONDS = 60
MAX_RESERVE_SECONDS = 7200
MAX_ADDRESS_FIELD = 200


@dataclass(frozen=True, slots=True)
class CartLineRequest:
    """What a client asks for: a SKU, a quantity, and how it wants it."""

    sku: str
    quantity: int
    method: FulfillmentMethod = FulfillmentMethod.SHIP
    pickup_location: str | None = None  # a location code, for PICKUP lines


@dataclass(frozen=True, slots=True)
class CartLine:
    id: str
    sku: str
    quantity: int
    method: FulfillmentMethod
    pickup_location_id: int | None = None


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    channel: str
    currency: str
    lines: tuple[CartLine, ...] = ()
    coupon_codes: tuple[str, ...] = ()
    shipping_address: Address | None = None
    customer_id: str | None = None
    email: str | None = None
    reserved_until: datetime | None = None
    next_line_number: int = 1
    completed: bool = False
    order_id: str | None = None  # the order it became, once checked out
    source_code: str | None = None  # the campaign it came from (promotions may target it)

    def line(self, line_id: str) -> CartLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def has_ship_lines(self) -> bool:
        return any(line.method is FulfillmentMethod.SHIP for line in self.lines)


def quantity_errors(quantity: int, field: Sequence[str]) -> list[FieldError]:
    if quantity <= 0:
        return [invalid(field, "Quantity must be at least 1.")]
    if quantity > MAX_LINE_QUANTITY:
        return [invalid(field, f"Quantity must be at most {MAX_LINE_QUANTITY}.")]
    return []


def line_request_errors(
    requests: Sequence[CartLineRequest],
    prices: Mapping[str, Decimal],
    pickup_locations: Mapping[str, Location],
    base: Sequence[str] = ("lines",),
) -> list[FieldError]:
    """Problems with requested lines. `prices` holds the SKUs sold in the channel;
    `pickup_locations` the channel's locations by code."""
    errors: list[FieldError] = []
    for index, request in enumerate(requests):
        path = (*base, str(index))
        if request.sku not in prices:
            errors.append(not_found((*path, "sku"), f"SKU {request.sku!r} is not sold here."))
        errors.extend(quantity_errors(request.quantity, (*path, "quantity")))
        errors.extend(_method_errors(request, pickup_locations, path))
    return errors


def _method_errors(
    request: CartLineRequest, pickup_locations: Mapping[str, Location], path: tuple[str, ...]
) -> list[FieldError]:
    field = (*path, "pickupLocation")
    if request.method is FulfillmentMethod.SHIP:
        if request.pickup_location is not None:
            return [invalid(field, "A shipped line has no pickup location.")]
        return []
    if request.pickup_location is None:
        return [invalid(field, "A pickup line needs a pickup location.")]
    location = pickup_locations.get(request.pickup_location)
    if location is None:
        return [not_found(field, f"Location {request.pickup_location!r} does not exist.")]
    if not location.can_pickup:
        return [invalid(field, f"Location {location.code!r} does not offer pickup.")]
    return []


def add_lines(
    cart: Cart,
    requests: Sequence[CartLineRequest],
    prices: Mapping[str, Decimal],
    pickup_locations: Mapping[str, Location],
    base: Sequence[str] = ("lines",),
) -> Cart:
    """Add lines; a line for the same SKU, method and pickup location adds to its quantity."""
    _require_open(cart)
    errors = line_request_errors(requests, prices, pickup_locations, base)
    raise_if(errors)
    lines = list(cart.lines)
    number = cart.next_line_number
    for index, request in enumerate(requests):
        location_id = (
            pickup_locations[request.pickup_location].id
            if request.pickup_location is not None
            else None
        )
        key = (request.sku, request.method, location_id)
        at = next(
            (i for i, ln in enumerate(lines) if (ln.sku, ln.method, ln.pickup_location_id) == key),
            None,
        )
        if at is None:
            lines.append(CartLine(str(number), request.sku, request.quantity, *key[1:]))
            number += 1
            continue
        merged = lines[at].quantity + request.quantity
        errors.extend(quantity_errors(merged, (*base, str(index), "quantity")))
        lines[at] = replace(lines[at], quantity=merged)
    if len(lines) > MAX_CART_LINES:
        errors.append(invalid(tuple(base), f"A cart holds at most {MAX_CART_LINES} lines."))
    raise_if(errors)
    return replace(cart, lines=tuple(lines), next_line_number=number)


def update_line(cart: Cart, line_id: str, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes the line."""
    _require_open(cart)
    if cart.line(line_id) is None:
        raise_if([not_found(("lineId",), "The cart has no such line.")])
    if quantity == 0:
        return replace(cart, lines=tuple(ln for ln in cart.lines if ln.id != line_id))
    raise_if(quantity_errors(quantity, ("quantity",)))
    lines = tuple(replace(ln, quantity=quantity) if ln.id == line_id else ln for ln in cart.lines)
    return replace(cart, lines=lines)


def address_errors(address: Address, base: Sequence[str] = ("address",)) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, camel in (("line1", "line1"), ("city", "city"), ("postal_code", "postalCode")):
        value: str = getattr(address, name)
        if not value.strip():
            errors.append(invalid((*base, camel), f"{camel} must not be empty."))
    for name in ("name", "line1", "line2", "city", "region", "postal_code", "phone"):
        value_or_none: str | None = getattr(address, name)
        if value_or_none is not None and len(value_or_none) > MAX_ADDRESS_FIELD:
            errors.append(invalid((*base, name), f"At most {MAX_ADDRESS_FIELD} characters."))
    country = address.country
    if not (len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()):
        errors.append(invalid((*base, "country"), "Country must be an ISO 3166 alpha-2 code."))
    if address.geo is not None:
        errors.extend(validate_geo(address.geo, (*base, "geo")))
    return errors


def set_shipping_address(cart: Cart, address: Address) -> Cart:
    _require_open(cart)
    raise_if(address_errors(address))
    return replace(cart, shipping_address=address)


def normalize_coupon(code: str) -> str:
    """Coupon codes compare case-insensitively: stored trimmed and upper-cased."""
    return code.strip().upper()


def apply_coupon(cart: Cart, code: str) -> Cart:
    """Store a coupon code; whether it applies is the promotion engine's decision."""
    _require_open(cart)
    normalized = normalize_coupon(code)
    if not COUPON_PATTERN.match(normalized):
        raise_if([invalid(("code",), "A coupon code is 1-64 letters, digits, _ or -.")])
    if normalized in cart.coupon_codes:
        return cart
    if len(cart.coupon_codes) >= MAX_COUPON_CODES:
        raise_if([invalid(("code",), f"A cart takes at most {MAX_COUPON_CODES} coupon codes.")])
    return replace(cart, coupon_codes=(*cart.coupon_codes, normalized))


def remove_coupon(cart: Cart, code: str) -> Cart:
    """Take a coupon code off the cart; NOT_FOUND when the cart does not carry it."""
    _require_open(cart)
    normalized = normalize_coupon(code)
    if normalized not in cart.coupon_codes:
        raise_if([not_found(("code",), "The cart does not carry this coupon code.")])
    return replace(cart, coupon_codes=tuple(c for c in cart.coupon_codes if c != normalized))


def reserve(cart: Cart, now: datetime, ttl_seconds: int) -> Cart:
    """Hold the cart's units until now + ttl; the hold itself lives with inventory."""
    _require_open(cart)
    if not MIN_RESERVE_SECONDS <= ttl_seconds <= MAX_RESERVE_SECONDS:
        raise_if(
            [
                invalid(
                    ("ttlSeconds",),
                    f"ttlSeconds must be between {MIN_RESERVE_SECONDS} and {MAX_RESERVE_SECONDS}.",
                )
            ]
        )
    if not cart.lines:
        raise_if([invalid(("cartId",), "An empty cart has nothing to reserve.")])
    return replace(cart, reserved_until=now + timedelta(seconds=ttl_seconds))


def reservation_active(cart: Cart, now: datetime) -> bool:
    return cart.reserved_until is not None and now < cart.reserved_until


def _require_open(cart: Cart) -> None:
    if cart.completed:
        raise invalid_transition(("cartId",), "The cart was already checked out.")
