"""The two ways an order is placed: `cartComplete` (a storefront's cart) and `orderPlace`
(marketplace, POS and call-center orders sent whole). Both check and price their input,
claim the caller's idempotency key and hand over to checkout.place.

`orderPlace` trusts its caller more or less by token kind: admin and partner tokens (and
the system) may set a line's `unitPrice` (the marketplace's price, a POS price override)
and may omit the payment (paid on the marketplace or at the till); storefront and customer
tokens may do neither: their prices are the channel's and they pay through a gateway.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.access import Actor
from domain.codec import request_hash
from domain.errors import DomainError, FieldError, duplicate, forbidden, invalid, not_found
from domain.idempotency import (
    Claimed,
    Conflict,
    IdempotencyKey,
    Replay,
    key_conflict,
    validate_key,
)
from domain.locations.model import Location
from domain.money import minor_units, round_money
from domain.orders.cart import COUPON_PATTERN, MAX_COUPON_CODES, normalize_coupon
from domain.orders.commands import CompleteCart, PlaceOrder, place_order_errors
from domain.orders.delivery import DeliveryOptionConfig
from domain.orders.errors import invalid_transition, raise_if
from domain.orders.handlers.checkout import Authorization, Checkout, Gateways, place, void_quietly
from domain.orders.handlers.common import (
    cart_for,
    channel_settings,
    email_for,
    sellable,
    sourcing_lines,
)
from domain.orders.handlers.stock import channel_scope
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.model import Order
from domain.orders.placement import LineChoice
from domain.orders.plan import SourcingLine
from domain.orders.ports import ChannelOrderSettings
from domain.orders.pricing import PricingLine
from domain.payments.model import payment_input_errors
from domain.ports import UnitOfWork

log = logging.getLogger("orchestra.orders")
TRUSTED_KINDS = frozenset({None, "admin", "partner"})
MAX_REFERENCE = 200
MAX_SOURCE_CODE = 64


def fingerprint(request: Any) -> str:
    """The request hash an idempotency key remembers; coordinates (floats, which the codec
    refuses for money's sake) are hashed by their exact text."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return request_hash(plain(request))


async def complete_cart(
    cmd: CompleteCart, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """Turn the cart into an order, or change nothing (docs/orders-wiring.md)."""
    base = ("input",)
    errors = payment_input_errors(cmd.payment.gateway, cmd.payment.token, gateways)
    email, problems = email_for(cmd.customer_email, actor, (*base, "customerEmail"))
    errors += problems
    if cmd.idempotency_key is not None:
        errors += validate_key(cmd.idempotency_key, ("idempotencyKey",))
    raise_if(errors)
    request = replace(cmd, idempotency_key=None, actor=None)
    auth = Authorization()
    async with uow:
        key = await _claim(uow, actor, "cartComplete", cmd.idempotency_key, request)
        if isinstance(key, Order):
            return key
        try:
            cart = await cart_for(uow, cmd.cart_id, actor, (*base, "cartId"))
            if cart.completed:
                raise invalid_transition((*base, "cartId"), "The cart was already checked out.")
            if not cart.lines:
                raise_if([invalid((*base, "cartId"), "The cart is empty.")])
            settings = await channel_settings(uow, cart.channel, actor)
            email = email or cart.email
            if email is None:
                raise_if([invalid((*base, "customerEmail"), "An e-mail is needed for the order.")])
            prices, variants = await sellable(uow, settings, [ln.sku for ln in cart.lines])
            raise_if(
                [
                    not_found(("lines", ln.id), f"{ln.sku} is no longer sold here.")
                    for ln in cart.lines
                    if ln.sku not in prices
                ]
            )
            if cart.has_ship_lines() and cart.shipping_address is None:
                raise_if([invalid((*base, "cartId"), "Set a shipping address first.")])
            option = _option(settings, cmd.delivery_option, cart.has_ship_lines(), required=True)
            scope = await channel_scope(uow, settings)
            checkout = Checkout(
                settings=settings,
                scope=scope,
                variants=variants,
                pricing=[
                    PricingLine(
                        ln.id,
                        ln.sku,
                        ln.quantity,
                        round_money(prices[ln.sku], settings.currency),
                        _country(scope.locations, ln.pickup_location_id),
                    )
                    for ln in cart.lines
                ],
                sourcing=sourcing_lines(cart),
                choices={ln.id: LineChoice(ln.method, ln.pickup_location_id) for ln in cart.lines},
                line_fields={ln.id: ("lines", ln.id) for ln in cart.lines},
                actor=actor,
                address=cart.shipping_address,
                option=option,
                email=email,
                gateway=cmd.payment.gateway,
                payment_token=cmd.payment.token,
                coupon_codes=cart.coupon_codes,
                source_code=cart.source_code,
                cart_id=cart.id,
                cart_holds=cart.reserved_until is not None,
            )
            order = await place(uow, checkout, gateways, auth, now)
            done = replace(
                cart,
                completed=True,
                order_id=order.id,
                reserved_until=None,
                email=email,
                customer_id=order.customer_id,
            )
            await uow.carts.save(done, now)
            if key is not None:
                await uow.idempotency.complete(key, order.id)
            await uow.commit()
        except BaseException:
            await _void(auth)
            raise
    return order


async def place_direct(
    cmd: PlaceOrder, actor: Actor, uow: UnitOfWork, gateways: Gateways, now: datetime
) -> Order:
    """An order sent whole by a marketplace, POS or call center, or nothing changes."""
    email, errors = _direct_input_errors(cmd, actor, gateways)
    raise_if(errors)
    request = replace(cmd, idempotency_key=None, actor=None)
    auth = Authorization()
    async with uow:
        key = await _claim(uow, actor, "orderPlace", cmd.idempotency_key, request)
        if isinstance(key, Order):
            return key
        try:
            checkout = await _direct_checkout(cmd, actor, uow, email)
            order = await place(uow, checkout, gateways, auth, now)
            if key is not None:
                await uow.idempotency.complete(key, order.id)
            await uow.commit()
        except BaseException:
            await _void(auth)
            raise
    return order


def _direct_input_errors(
    cmd: PlaceOrder, actor: Actor, gateways: Gateways
) -> tuple[str | None, list[FieldError]]:
    """What can be said of the input before reading anything."""
    base = ("input",)
    trusted = actor.kind in TRUSTED_KINDS
    email, errors = email_for(cmd.email, actor, (*base, "email"))
    for i, line in enumerate(cmd.lines):
        path = (*base, "lines", str(i), "unitPrice")
        if line.unit_price is None:
            continue
        if not trusted:
            errors.append(forbidden(path, "Only admin and partner tokens set a unit price."))
        elif not line.unit_price.is_finite():
            # NaN and Infinity parse as Decimals; nothing downstream (the idempotency
            # fingerprint, pricing, the ledger) can use one, so they stop here.
            errors.append(invalid(path, "A finite amount."))
        elif _too_precise(line.unit_price):
            errors.append(invalid(path, "More decimals than the currency has."))
    if cmd.payment is None and not trusted:
        errors.append(invalid((*base, "payment"), "A storefront order is paid at checkout."))
    if cmd.payment is not None:
        errors += payment_input_errors(cmd.payment.gateway, cmd.payment.token, gateways)
    if len(cmd.coupon_codes) > MAX_COUPON_CODES:
        errors.append(invalid((*base, "couponCodes"), f"At most {MAX_COUPON_CODES} codes."))
    for i, code in enumerate(cmd.coupon_codes):
        if not COUPON_PATTERN.match(normalize_coupon(code)):
            errors.append(invalid((*base, "couponCodes", str(i)), "1-64 letters, digits, _ or -."))
    for name, value, limit in (
        ("sourceCode", cmd.source_code, MAX_SOURCE_CODE),
        ("externalReference", cmd.external_reference, MAX_REFERENCE),
    ):
        if value is not None and (not value.strip() or len(value) > limit or "\x00" in value):
            errors.append(invalid((*base, name), f"1-{limit} characters."))
    if cmd.idempotency_key is not None:
        errors += validate_key(cmd.idempotency_key, ("idempotencyKey",))
    return email, errors


def _too_precise(amount: Decimal) -> bool:
    # The currency is not known yet: no currency has more than 3 minor digits.
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and -exponent > 3


async def _direct_checkout(
    cmd: PlaceOrder, actor: Actor, uow: UnitOfWork, email: str | None
) -> Checkout:
    base = ("input",)
    settings = await channel_settings(uow, cmd.channel, actor)
    skus = [line.sku for line in cmd.lines]
    prices, variants = await sellable(uow, settings, skus)
    known = await uow.catalog.variants_by_sku(skus)
    scope = await channel_scope(uow, settings)
    pickups = scope.by_code
    errors = place_order_errors(cmd, prices, pickups)
    digits = minor_units(settings.currency)
    for i, line in enumerate(cmd.lines):
        path = (*base, "lines", str(i))
        if line.unit_price is not None:
            found = known.get(line.sku)
            if found is None or found.is_kit:
                errors.append(not_found((*path, "sku"), f"SKU {line.sku!r} is not sold here."))
            elif line.unit_price != round_money(line.unit_price, settings.currency):
                errors.append(invalid((*path, "unitPrice"), f"At most {digits} decimals."))
            else:
                variants = {**variants, line.sku: found}
    pickup = pickups.get(cmd.pickup_location) if cmd.pickup_location is not None else None
    option = None
    try:
        option = _option(settings, cmd.delivery_option, pickup is None, required=False)
    except DomainError as error:
        errors += error.errors
    reference = cmd.external_reference
    if (
        reference is not None
        and not errors
        and await uow.orders.by_external_reference(settings.channel_id, reference)
    ):
        errors.append(
            duplicate(
                (*base, "externalReference"),
                "An order with this external reference exists in the channel.",
            )
        )
    raise_if(errors)
    method = FulfillmentMethod.PICKUP if pickup is not None else FulfillmentMethod.SHIP
    pickup_id = pickup.id if pickup is not None else None
    country = pickup.address.country if pickup is not None and pickup.address else None
    ids = [str(i + 1) for i in range(len(cmd.lines))]
    return Checkout(
        settings=settings,
        scope=scope,
        variants=variants,
        pricing=[
            PricingLine(
                line_id,
                line.sku,
                line.quantity,
                line.unit_price
                if line.unit_price is not None
                else round_money(prices[line.sku], settings.currency),
                country,
            )
            for line_id, line in zip(ids, cmd.lines, strict=True)
        ],
        sourcing=[
            SourcingLine(line_id, line.sku, line.quantity, method, pickup_id)
            for line_id, line in zip(ids, cmd.lines, strict=True)
        ],
        choices={line_id: LineChoice(method, pickup_id) for line_id in ids},
        line_fields={line_id: (*base, "lines", str(i)) for i, line_id in enumerate(ids)},
        actor=actor,
        address=cmd.shipping_address,
        option=option,
        email=email,
        gateway=cmd.payment.gateway if cmd.payment is not None else None,
        payment_token=cmd.payment.token if cmd.payment is not None else None,
        coupon_codes=tuple(dict.fromkeys(normalize_coupon(c) for c in cmd.coupon_codes)),
        source_code=cmd.source_code,
        external_reference=cmd.external_reference,
        coupon_fields={
            normalize_coupon(code): (*base, "couponCodes", str(i))
            for i, code in reversed(list(enumerate(cmd.coupon_codes)))
        },
        coupon_field=(*base, "couponCodes"),
    )


def _country(locations: Mapping[int, Location], location_id: int | None) -> str | None:
    location = locations.get(location_id) if location_id is not None else None
    return location.address.country if location is not None and location.address else None


def _option(
    settings: ChannelOrderSettings, code: str | None, ships: bool, *, required: bool
) -> DeliveryOptionConfig | None:
    """The configured option asked for. A cart with lines to ship needs one; nothing
    shipped takes none. Whether it is offered for this order is checked once sourced."""
    field = ("input", "deliveryOption")
    if not ships:
        if code is not None:
            raise_if([invalid(field, "Nothing in this order is shipped.")])
        return None
    if code is None:
        if required:
            raise_if([invalid(field, "Choose a delivery option.")])
        return None
    found = next((o for o in settings.delivery_options if o.code == code), None)
    if found is None:
        raise_if([invalid(field, f"Delivery option {code!r} is not offered.")])
    return found


async def _claim(
    uow: UnitOfWork, actor: Actor, operation: str, key: str | None, request: Any
) -> IdempotencyKey | Order | None:
    """The claimed key (complete it with the order id), the order a replay returns, or
    None without a key. Another request under the same key is a CONFLICT."""
    if key is None:
        return None
    claimed = IdempotencyKey(actor.caller_id, operation, key)
    match await uow.idempotency.claim(claimed, fingerprint(request)):
        case Replay(result_ref=ref):
            order = await uow.orders.get(ref)
            assert order is not None, "an idempotency key refers to a missing order"
            return order
        case Conflict():
            raise DomainError([key_conflict(("idempotencyKey",))])
        case Claimed():
            return claimed
    raise AssertionError("unreachable")


async def _void(auth: Authorization) -> None:
    try:
        await void_quietly(auth)
    except Exception:
        # The order was not placed; an unused authorization expires at the provider.
        log.exception("voiding an unused authorization failed")
