"""Placing an order: the core both entry points share (cartComplete, orderPlace).

One unit of work, in this order (docs/orders-wiring.md, "Checkout"):
1. the idempotency key is claimed (a retry replays, other input is a CONFLICT);
2. the input is checked and priced; a quick unlocked look at stock refuses a cart that
   cannot be filled before anything is authorized (a sold-out flash sale stays cheap);
3. the payment is authorized at the gateway (declined: PAYMENT_DECLINED, nothing held);
4. the channel's candidate positions are locked in key order, the cart's own and expired
   holds released on them, the order sourced over that locked snapshot, daily capacity
   counted (a full location is dropped and the order re-sourced);
5. the order is built by the domain (numbered before step 4: the number commits on its
   own), units allocated and channel ATP moved through `publish_changes`, the order and
   its events written; commit.
Any failure after (3) voids the authorization: no order, no stock held, no payment left
authorized.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from domain.access import Actor
from domain.catalog.model import Variant
from domain.errors import DomainError, invalid
from domain.ids import new_id
from domain.inventory.model import location_contribution, position_available
from domain.ledger.recording import authorized_event
from domain.ledger.recording import record as post
from domain.locations.model import Address
from domain.orders.delivery import DeliveryOptionConfig
from domain.orders.errors import insufficient_stock, raise_if
from domain.orders.handlers.promotions import (
    coupon_errors,
    discounts_of,
    load_offers,
    redeem,
    redemption_amounts,
)
from domain.orders.handlers.stock import (
    ChannelScope,
    ChannelStock,
    apply_effects,
    load_stock,
    write_back,
)
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.model import Order, record
from domain.orders.placement import LineChoice, NewOrder, place_order
from domain.orders.plan import SourcingLine, SourcingPlan
from domain.orders.ports import ChannelOrderSettings
from domain.orders.pricing import PricingLine, Totals, price_lines
from domain.orders.promises import DeliveryPromise, delivery_promises, order_promise
from domain.orders.settings import order_number
from domain.orders.sourcing import source
from domain.payments.model import Payment, authorized_payment
from domain.payments.ports import PaymentGateway
from domain.ports import UnitOfWork
from domain.promotions.model import Discounts

ZERO = Decimal(0)
CAPACITY_ATTEMPTS = 4

Gateways = Mapping[str, PaymentGateway]


@dataclass(frozen=True, slots=True)
class Checkout:
    """A priced, validated order request, whichever entry point it came from."""

    settings: ChannelOrderSettings
    scope: ChannelScope
    variants: Mapping[str, Variant]
    pricing: Sequence[PricingLine]
    sourcing: Sequence[SourcingLine]
    choices: Mapping[str, LineChoice]
    line_fields: Mapping[str, Sequence[str]]
    actor: Actor
    address: Address | None = None
    option: DeliveryOptionConfig | None = None
    option_field: Sequence[str] = ("input", "deliveryOption")
    email: str | None = None
    gateway: str | None = None
    payment_token: str | None = None
    coupon_codes: tuple[str, ...] = ()
    source_code: str | None = None
    external_reference: str | None = None
    cart_id: str | None = None
    cart_holds: bool = False  # the cart reserved units (its holds are looked up)
    # Where a coupon's userError points: the input field that carried each code, else
    # `coupon_field` (cartComplete: the cart holds the codes).
    coupon_fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    coupon_field: Sequence[str] = ("input", "cartId")


@dataclass(slots=True)
class Authorization:
    """The payment authorized for an attempt, voided if the attempt does not commit."""

    payment: Payment | None = None
    gateway: PaymentGateway | None = None
    voided: bool = field(default=False)


def totals_of(c: Checkout, discounts: Discounts | None = None) -> Totals:
    address = c.address
    return price_lines(
        c.pricing,
        currency=c.settings.currency,
        taxes=c.settings.taxes,
        destination_country=address.country if address is not None else None,
        shipping=_shipping(c),
        line_discounts=dict(discounts.lines) if discounts is not None else {},
        shipping_discount=discounts.shipping if discounts is not None else ZERO,
    )


def _shipping(c: Checkout) -> Decimal:
    return c.option.price if c.option is not None else ZERO


async def discounts_for(uow: UnitOfWork, c: Checkout, now: datetime) -> Discounts:
    """The promotions' discounts on this order; a coupon that gives nothing refuses it (the
    shopper asked for a discount: placing the order without it would surprise them)."""
    settings = c.settings
    offers = await load_offers(
        uow, settings.channel, [line.sku for line in c.pricing], c.coupon_codes, now
    )
    discounts = discounts_of(
        offers,
        channel=settings.channel,
        currency=settings.currency,
        lines=c.pricing,
        shipping=_shipping(c),
        coupon_codes=c.coupon_codes,
        source_code=c.source_code,
        at=now,
    )
    raise_if(coupon_errors(discounts, c.coupon_fields, c.coupon_field))
    return discounts


async def place(
    uow: UnitOfWork, c: Checkout, gateways: Gateways, auth: Authorization, now: datetime
) -> Order:
    """Steps 2-5 above, inside the caller's unit of work (it claims and commits)."""
    settings = c.settings
    await _quick_check(uow, c, now)
    order_id = new_id()
    discounts = await discounts_for(uow, c, now)
    totals = totals_of(c, discounts)
    await _authorize(c, gateways, auth, order_id, totals, now)
    # Numbered before the positions are locked: the increment commits on its own
    # (docs/orders-wiring.md), and a hot SKU's rows should not wait on that commit. A
    # checkout that loses the race for the last units leaves a gap in the numbers.
    number = order_number(settings, await uow.orders.next_number(settings.channel_id))
    holder = c.cart_id if c.cart_holds else None
    stock = await load_stock(uow, settings, c.scope, c.variants, now, lock=True, cart_id=holder)
    plan = await _plan(uow, c, stock, now)
    offered: tuple[DeliveryPromise, ...] = ()
    if c.option is not None:
        offered = delivery_promises(c.sourcing, plan, stock.snapshot, [c.option], c.address, now)
        if not offered:
            raise_if(
                [invalid(c.option_field, f"Delivery option {c.option.code!r} is not offered.")]
            )
    # Promotion rows are locked after stock and capacity, before the order number.
    await redeem(uow, discounts, c.coupon_fields, c.coupon_field)
    picks_up = any(ch.method is FulfillmentMethod.PICKUP for ch in c.choices.values())
    customer_id = None
    if c.email is not None:
        customer_id = (await uow.customers.ensure(c.email, None, now)).id
    new = NewOrder(
        order_id=order_id,
        number=number,
        channel=settings.channel,
        at=now,
        actor=c.actor.name,
        customer_id=customer_id,
        email=c.email,
        shipping_address=c.address,
        delivery_option=c.option.code if c.option is not None else None,
        coupon_codes=c.coupon_codes,
        source_code=c.source_code,
        external_reference=c.external_reference,
        promised_by=order_promise(
            offered[0] if offered else None,
            c.option,
            c.settings.pickup if picks_up else None,
            now,
        ),
    )
    order, effects = place_order(new, totals, c.choices, plan, new_id, auth.payment, c.line_fields)
    for applied in discounts.applied:  # customer care sees what each promotion took off
        code = f" (coupon {applied.coupon_code})" if applied.coupon_code else ""
        message = f"Promotion {applied.name!r}{code}: {applied.amount} off."
        record(order, now, "PROMOTION_APPLIED", message, c.actor.name)
    await uow.orders.add(order, channel_id=settings.channel_id, cart_id=c.cart_id)
    payment = order.payment
    if payment is not None:
        # the memo entry of the authorization, committed with the order or not at all
        await post(uow, authorized_event(number, payment.currency, payment.authorized, now))
    await uow.promotions.record_redemptions(order.id, redemption_amounts(discounts), now)
    for event in order.pop_events():
        uow.events.add(event)
    apply_effects(stock, effects.stock)
    await write_back(uow, stock, now, c.scope)
    return order


async def _quick_check(uow: UnitOfWork, c: Checkout, now: datetime) -> None:
    """Refuse, without locks or a gateway call, what the channel's stock cannot fill in
    total (the locked plan decides for real). Skipped where backorders may fill it."""
    if c.settings.sourcing.allow_backorder:
        return
    view = c.scope.view
    if view is None:
        raise_if(
            [
                insufficient_stock(c.line_fields[s.line_id], f"{s.sku} has no stock here.")
                for s in c.sourcing
            ]
        )
        return
    states = await uow.stock.positions(
        sorted({v.id for v in c.variants.values()}), sorted(view.location_ids), lock=False
    )
    sku_of = {v.id: sku for sku, v in c.variants.items() if sku not in view.excluded_skus}
    total = Counter[str]()
    for (variant_id, _), state in states.items():
        sku = sku_of.get(variant_id)
        if sku is not None:
            # An upper bound: any hold may be this cart's own or expired (released under
            # the lock), so held units are not ruled out here (reserved taken as 0).
            freed = position_available(
                state.on_hand, state.allocated, 0, state.safety_stock, state.unsellable
            )
            total[sku] += location_contribution(freed, view)
    demand = Counter[str]()
    for line in c.sourcing:
        demand[line.sku] += line.quantity
    raise_if(
        [
            insufficient_stock(
                c.line_fields[s.line_id], f"{s.quantity} unit(s) of {s.sku} cannot be sourced."
            )
            for s in c.sourcing
            if demand[s.sku] > total[s.sku]
        ]
    )


async def _authorize(
    c: Checkout,
    gateways: Gateways,
    auth: Authorization,
    order_id: str,
    totals: Totals,
    now: datetime,
) -> None:
    if c.gateway is None or c.payment_token is None or totals.total <= ZERO:
        return
    gateway = gateways[c.gateway]
    result = await gateway.authorize(
        c.payment_token, totals.total, totals.currency, f"{order_id}:authorize"
    )
    if result.approved:
        auth.gateway = gateway
    # Declined raises PAYMENT_DECLINED here, before any stock is touched.
    auth.payment = authorized_payment(
        new_id(), order_id, c.gateway, totals.currency, totals.total, result, now
    )


async def _plan(uow: UnitOfWork, c: Checkout, stock: ChannelStock, now: datetime) -> SourcingPlan:
    """Source over the locked snapshot and count the fulfillments against each location's
    daily capacity; a location found full is taken out and the order sourced again."""
    snapshot = stock.snapshot
    address = c.address
    destination = address.geo if address is not None else None
    for _ in range(CAPACITY_ATTEMPTS):
        plan = source(c.sourcing, snapshot, c.settings.sourcing, destination)
        plan.require_complete(c.line_fields)
        counts = Counter(f.location_id for f in plan.fulfillments)
        capacities = {
            loc_id: cap
            for loc_id in counts
            if (cap := snapshot.locations[loc_id].daily_capacity) is not None
        }
        full = await uow.stock.take_capacity(counts, capacities, now.date())
        if not full:
            return plan
        locations = {
            loc_id: replace(loc, open_fulfillments=loc.daily_capacity or 0)
            if loc_id in full
            else loc
            for loc_id, loc in snapshot.locations.items()
        }
        snapshot = replace(snapshot, locations=locations)
    raise DomainError(
        [
            insufficient_stock(
                c.line_fields[s.line_id], "The locations with stock are at capacity."
            )
            for s in c.sourcing
        ]
    )


async def void_quietly(auth: Authorization) -> None:
    """Release an authorization whose order was not placed (the caller logs a gateway
    failure here; an unused authorization also expires at the provider)."""
    payment, gateway = auth.payment, auth.gateway
    if payment is None or gateway is None or auth.voided:
        return
    auth.voided = True
    await gateway.void(payment.authorization, f"{payment.order_id}:void")
