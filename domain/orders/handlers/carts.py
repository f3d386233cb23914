"""Cart use cases: create, add and update lines, shipping address, coupon codes, and the
cart as the shopper sees it (totals, promises).

A cart belongs to its channel's storefront and, once bound to an e-mail, to that shopper:
any other caller gets NOT_FOUND, as for a cart that does not exist (domain/access.py).
Editing the lines of a reserved cart releases its hold (it no longer covers the cart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from domain.access import Actor
from domain.errors import DomainError, FieldError, invalid
from domain.ids import new_id
from domain.locations.model import GeoPoint
from domain.orders import cart as carts
from domain.orders.cart import Cart, CartLineRequest
from domain.orders.commands import (
    AddCartLines,
    ApplyCartCoupon,
    CreateCart,
    SetCartShippingAddress,
    UpdateCartLine,
)
from domain.orders.errors import raise_if
from domain.orders.handlers.common import (
    CartQuote,
    cart_for,
    channel_settings,
    email_for,
    quote,
    sellable,
    sourcing_lines,
)
from domain.orders.handlers.promotions import discounts_of, load_offers
from domain.orders.handlers.reservations import release_cart_holds
from domain.orders.handlers.stock import ChannelScope, channel_scope, load_stock
from domain.orders.ports import ChannelOrderSettings
from domain.orders.pricing import PricingLine
from domain.orders.promises import CartPromises, DeliveryPromise, promise_cart
from domain.ports import UnitOfWork


async def create_cart(cmd: CreateCart, actor: Actor, uow: UnitOfWork, now: datetime) -> CartQuote:
    """A new cart in the channel's currency, optionally with lines, an e-mail and an address."""
    async with uow:
        settings = await channel_settings(uow, cmd.channel, actor)
        scope = await channel_scope(uow, settings)
        email, errors = email_for(cmd.customer_email, actor, ("input", "customerEmail"))
        if cmd.shipping_address is not None:
            errors += carts.address_errors(cmd.shipping_address, ("input", "shippingAddress"))
        source = cmd.source_code
        if source is not None and (not source.strip() or len(source) > 64 or "\x00" in source):
            errors.append(invalid(("input", "sourceCode"), "1-64 characters."))
        cart = Cart(new_id(), settings.channel, settings.currency, email=email, source_code=source)
        if cmd.lines:
            try:
                cart = await _add(uow, cart, settings, scope, cmd.lines, ("input", "lines"))
            except DomainError as error:
                errors += error.errors
        raise_if(errors)
        if cmd.shipping_address is not None:
            cart = replace(cart, shipping_address=cmd.shipping_address)
        await uow.carts.add(cart, now)
        result = await quote(uow, cart, settings, scope, now=now)
        await uow.commit()
    return result


async def _add(
    uow: UnitOfWork,
    cart: Cart,
    settings: ChannelOrderSettings,
    scope: ChannelScope,
    lines: Sequence[CartLineRequest],
    base: Sequence[str],
) -> Cart:
    prices, _ = await sellable(uow, settings, [line.sku for line in lines])
    return carts.add_lines(cart, lines, prices, scope.by_code, base)


async def _open(
    uow: UnitOfWork, cart_id: str, actor: Actor
) -> tuple[Cart, ChannelOrderSettings, ChannelScope]:
    cart = await cart_for(uow, cart_id, actor)
    settings = await channel_settings(uow, cart.channel, actor)
    return cart, settings, await channel_scope(uow, settings)


async def add_cart_lines(
    cmd: AddCartLines, actor: Actor, uow: UnitOfWork, now: datetime
) -> CartQuote:
    """Add lines (the same SKU, method and pickup location adds to its line)."""
    async with uow:
        cart, settings, scope = await _open(uow, cmd.cart_id, actor)
        if not cmd.lines:
            raise_if([invalid(("lines",), "Send at least one line.")])
        cart = await _add(uow, cart, settings, scope, cmd.lines, ("lines",))
        return await _save(uow, cart, settings, scope, now, lines_changed=True)


async def update_cart_line(
    cmd: UpdateCartLine, actor: Actor, uow: UnitOfWork, now: datetime
) -> CartQuote:
    """Set a line's quantity; 0 removes it."""
    async with uow:
        cart, settings, scope = await _open(uow, cmd.cart_id, actor)
        cart = carts.update_line(cart, cmd.line_id, cmd.quantity)
        return await _save(uow, cart, settings, scope, now, lines_changed=True)


async def set_cart_shipping_address(
    cmd: SetCartShippingAddress, actor: Actor, uow: UnitOfWork, now: datetime
) -> CartQuote:
    async with uow:
        cart, settings, scope = await _open(uow, cmd.cart_id, actor)
        cart = carts.set_shipping_address(cart, cmd.address)
        return await _save(uow, cart, settings, scope, now)


async def apply_cart_coupon(
    cmd: ApplyCartCoupon, actor: Actor, uow: UnitOfWork, now: datetime
) -> CartQuote:
    """Store the code if it gives the cart something now; otherwise change nothing and say
    why (COUPON_INVALID: unknown, another channel, not started, expired, below the minimum,
    nothing to discount, not combinable; COUPON_EXHAUSTED: usage limit reached)."""
    async with uow:
        cart, settings, scope = await _open(uow, cmd.cart_id, actor)
        cart = carts.apply_coupon(cart, cmd.code)
        result = await quote(uow, cart, settings, scope, now=now)
        code = carts.normalize_coupon(cmd.code)
        assert result.discounts is not None
        rejection = result.discounts.coupon_rejections.get(code)
        if rejection is not None:
            raise DomainError([FieldError(("code",), rejection.code, f"{code}: {rejection.value}")])
        await uow.carts.save(cart, now)
        await uow.commit()
    return result


async def remove_cart_coupon(
    cmd: ApplyCartCoupon, actor: Actor, uow: UnitOfWork, now: datetime
) -> CartQuote:
    """Take a code off the cart (one that expired or ran out would refuse the checkout)."""
    async with uow:
        cart, settings, scope = await _open(uow, cmd.cart_id, actor)
        cart = carts.remove_coupon(cart, cmd.code)
        return await _save(uow, cart, settings, scope, now)


async def _save(
    uow: UnitOfWork,
    cart: Cart,
    settings: ChannelOrderSettings,
    scope: ChannelScope,
    now: datetime,
    *,
    lines_changed: bool = False,
) -> CartQuote:
    if lines_changed and cart.reserved_until is not None:
        await release_cart_holds(uow, cart.id, now)
        cart = replace(cart, reserved_until=None)
    await uow.carts.save(cart, now)
    result = await quote(uow, cart, settings, scope, now=now)
    await uow.commit()
    return result


async def view_cart(
    cart_id: str, actor: Actor, uow: UnitOfWork, now: datetime | None = None
) -> CartQuote | None:
    """The cart with its totals (promotions live at `now`, by default the wall clock); None
    when it does not exist or the actor may not see it."""
    async with uow:
        cart = await uow.carts.get(cart_id)
        if cart is None or not actor.sees_cart(cart.channel, cart.email):
            return None
        settings = await uow.channel_settings.settings(cart.channel)
        if settings is None:
            return None
        scope = await channel_scope(uow, settings)
        return await quote(uow, cart, settings, scope, now=now or datetime.now(UTC))


async def promises(
    cart_quote: CartQuote, near: GeoPoint | None, uow: UnitOfWork, now: datetime
) -> CartPromises:
    """What the shopper can be promised right now, from unlocked stock (the cart's own hold
    counts as available to it)."""
    cart, settings = cart_quote.cart, cart_quote.settings
    async with uow:
        _, variants = await sellable(uow, settings, [line.sku for line in cart.lines])
        lines = [line for line in sourcing_lines(cart) if line.sku in variants]
        holder = cart.id if cart.reserved_until is not None else None
        scope = await channel_scope(uow, settings)
        stock = await load_stock(uow, settings, scope, variants, now, lock=False, cart_id=holder)
        pricing = [
            PricingLine(p.line_id, p.sku, p.quantity, p.unit_price) for p in cart_quote.totals.lines
        ]
        offers = await load_offers(
            uow, settings.channel, [p.sku for p in pricing], cart.coupon_codes, now
        )
    found = promise_cart(
        lines,
        stock.snapshot,
        settings.sourcing,
        settings.delivery_options,
        settings.pickup,
        destination=cart.shipping_address,
        now=now,
        near=near,
    )

    def price(option: DeliveryPromise) -> DeliveryPromise:
        """The option's price once the cart's promotions (free shipping) take their part."""
        discounts = discounts_of(
            offers,
            channel=settings.channel,
            currency=settings.currency,
            lines=pricing,
            shipping=option.price,
            coupon_codes=cart.coupon_codes,
            source_code=cart.source_code,
            at=now,
        )
        return replace(option, price=option.price - min(discounts.shipping, option.price))

    return replace(found, delivery_options=tuple(price(o) for o in found.delivery_options))
