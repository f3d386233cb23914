"""What the cart and checkout use cases share: finding the cart and the channel with the
actor's bindings applied, what the channel sells, and the cart's totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from domain.access import Actor
from domain.catalog.model import Variant
from domain.customers.model import email_errors, normalize_email
from domain.errors import DomainError, FieldError, forbidden, not_found
from domain.money import round_money
from domain.orders.cart import Cart
from domain.orders.handlers.promotions import discounts_of, load_offers
from domain.orders.handlers.stock import ChannelScope
from domain.orders.plan import SourcingLine
from domain.orders.ports import ChannelOrderSettings
from domain.orders.pricing import Totals, cart_pricing_lines, price_lines
from domain.ports import UnitOfWork
from domain.promotions.model import Discounts

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CartQuote:
    """A cart with its totals at the channel's current prices. Cart totals leave shipping
    out: each delivery option says its price, the order adds the one chosen."""

    cart: Cart
    settings: ChannelOrderSettings
    totals: Totals
    unsellable: frozenset[str]  # SKUs the channel stopped selling since they were added
    discounts: Discounts | None = None  # what the promotions gave (coupon problems included)


async def channel_settings(uow: UnitOfWork, channel: str, actor: Actor) -> ChannelOrderSettings:
    settings = await uow.channel_settings.settings(channel)
    if settings is None or not actor.sees_channel(channel):
        raise DomainError([not_found(("input", "channel"), f"Unknown channel {channel!r}.")])
    return settings


async def cart_for(
    uow: UnitOfWork, cart_id: str, actor: Actor, field: Sequence[str] = ("cartId",)
) -> Cart:
    """The cart, locked for the rest of the unit of work; NOT_FOUND when it does not exist
    or belongs to another channel or shopper."""
    cart = await uow.carts.get(cart_id, for_update=True)
    if cart is None or not actor.sees_cart(cart.channel, cart.email):
        raise DomainError([not_found(field, "No such cart.")])
    return cart


async def sellable(
    uow: UnitOfWork, settings: ChannelOrderSettings, skus: Sequence[str]
) -> tuple[dict[str, Decimal], dict[str, Variant]]:
    """Prices and variants of the SKUs the channel sells. A kit is not sold through carts
    yet (its parts have the stock; see docs/orders-wiring.md), so it counts as not sold."""
    found = await uow.channel_settings.sellable(settings.channel_id, skus)
    on_sale = {sku: pair for sku, pair in found.items() if not pair[0].is_kit}
    return (
        {sku: price for sku, (_, price) in on_sale.items()},
        {sku: variant for sku, (variant, _) in on_sale.items()},
    )


def email_for(
    requested: str | None, actor: Actor, field: Sequence[str]
) -> tuple[str | None, list[FieldError]]:
    """The shopper a cart or order is bound to: a customer token's own, else the one given."""
    if requested is not None:
        errors = email_errors(requested, field)
        if errors:
            return None, errors
        requested = normalize_email(requested)
    if actor.customer is not None:
        if requested is not None and requested != actor.customer:
            return None, [forbidden(field, "A customer token acts for its own shopper only.")]
        return actor.customer, []
    return requested, []


async def quote(
    uow: UnitOfWork,
    cart: Cart,
    settings: ChannelOrderSettings,
    scope: ChannelScope,
    *,
    now: datetime,
) -> CartQuote:
    prices, _ = await sellable(uow, settings, [line.sku for line in cart.lines])
    locations = scope.locations
    lines = tuple(line for line in cart.lines if line.sku in prices)
    pricing = [
        replace(p, unit_price=round_money(p.unit_price, settings.currency))
        for p in cart_pricing_lines(replace(cart, lines=lines), prices, locations)
    ]
    offers = await load_offers(
        uow, settings.channel, [p.sku for p in pricing], cart.coupon_codes, now
    )
    discounts = discounts_of(
        offers,
        channel=settings.channel,
        currency=settings.currency,
        lines=pricing,
        shipping=cart_shipping(cart, settings),
        coupon_codes=cart.coupon_codes,
        source_code=cart.source_code,
        at=now,
    )
    address = cart.shipping_address
    totals = price_lines(
        pricing,
        currency=settings.currency,
        taxes=settings.taxes,
        destination_country=address.country if address is not None else None,
        # Cart totals leave shipping out, its discount too (each delivery option's price
        # says it, see promises); the order applies the one chosen.
        line_discounts=dict(discounts.lines),
        shipping_discount=ZERO,
    )
    missing = frozenset(line.sku for line in cart.lines if line.sku not in prices)
    return CartQuote(cart, settings, totals, missing, discounts)


def cart_shipping(cart: Cart, settings: ChannelOrderSettings) -> Decimal:
    """The shipping the engine sees for a cart, before a delivery option is chosen: the
    dearest configured option, so a free-shipping coupon counts as giving something
    whenever some option costs something (its waiver shows in each option's price)."""
    if not cart.has_ship_lines():
        return ZERO
    return max((option.price for option in settings.delivery_options), default=ZERO)


def sourcing_lines(cart: Cart) -> list[SourcingLine]:
    return [
        SourcingLine(line.id, line.sku, line.quantity, line.method, line.pickup_location_id)
        for line in cart.lines
    ]
