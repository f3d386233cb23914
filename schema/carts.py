"""Cart types: the cart with its totals, what can be promised for it, and its mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain.orders import promises as model
from domain.orders.handlers.common import CartQuote
from domain.orders.lifecycle import FulfillmentMethod as DomainMethod
from resolvers import carts as r
from resolvers.carts import CartLineView
from schema.catalog import Channel, Variant
from schema.common import Address, AddressInput, GeoPointInput, Info, Money, Node, UserError
from schema.locations import Location
from schema.policy import PUBLIC, guard, needs

if TYPE_CHECKING:
    from schema.orders import Order

OrderRef = Annotated["Order", strawberry.lazy("schema.orders")]
FulfillmentMethod = strawberry.enum(DomainMethod, name="FulfillmentMethod")

# A cart is the storefront's (orders:write, bound to the cart's channel) or, once bound to an
# e-mail, its shopper's (a customer token). Which cart, is decided per row (domain/access.py).
CART = needs("orders:write", kinds=("customer",))


@guard(
    id=CART,
    variant=CART,
    quantity=CART,
    unitPrice=CART,
    discount=CART,
    total=CART,
    method=CART,
    pickupLocation=CART,
)
@strawberry.type
class CartLine:
    quantity: int
    method: FulfillmentMethod  # type: ignore[valid-type]

    @strawberry.field
    def id(root: strawberry.Parent[CartLineView]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(root.line.id)

    @strawberry.field
    async def variant(root: strawberry.Parent[CartLineView], info: Info) -> Variant:  # type: ignore[misc]
        return await r.line_variant(info.context, root)  # type: ignore[return-value]

    @strawberry.field(description="The channel's current price (carts never show a stale one).")
    def unit_price(root: strawberry.Parent[CartLineView]) -> Money:  # type: ignore[misc]
        return root.unit_price  # type: ignore[return-value]

    @strawberry.field
    def discount(root: strawberry.Parent[CartLineView]) -> Money:  # type: ignore[misc]
        return root.discount  # type: ignore[return-value]

    @strawberry.field
    def total(root: strawberry.Parent[CartLineView]) -> Money:  # type: ignore[misc]
        return root.total  # type: ignore[return-value]

    @strawberry.field
    async def pickup_location(root: strawberry.Parent[CartLineView], info: Info) -> Location | None:  # type: ignore[misc]
        return await r.line_pickup_location(info.context, root)  # type: ignore[return-value]


@guard(
    code=CART,
    name=CART,
    price=CART,
    estimatedDeliveryFrom=CART,
    estimatedDeliveryTo=CART,
    shipmentCount=CART,
)
@strawberry.type
class DeliveryOption:
    code: str
    name: str
    price: Money
    estimated_delivery_from: date
    estimated_delivery_to: date
    shipment_count: int = strawberry.field(
        description="Parcels the shopper receives (+1 when units are backordered)."
    )


@guard(
    location=CART,
    distanceKm=CART,
    readyBy=CART,
    allLinesAvailable=CART,
    unavailableSkus=CART,
)
@strawberry.type
class PickupOption:
    location: Location
    distance_km: float | None
    ready_by: datetime
    all_lines_available: bool
    unavailable_skus: list[str]


@guard(lineId=CART, sku=CART, shipAvailable=CART, pickupLocations=CART, backorderDate=CART)
@strawberry.type
class LinePromise:
    sku: str
    ship_available: bool
    pickup_locations: int = strawberry.field(description="Nearby pickup locations holding it.")
    backorder_date: date | None = strawberry.field(
        description="When the channel backorders and incoming supply covers the shortfall."
    )

    @strawberry.field
    def line_id(root: strawberry.Parent[model.LinePromise]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(root.line_id)


@guard(deliveryOptions=CART, pickupOptions=CART, lines=CART)
@strawberry.type(description="What the shopper can be promised for this cart right now.")
class CartPromises:
    delivery_options: list[DeliveryOption]
    pickup_options: list[PickupOption]
    lines: list[LinePromise]


@guard(
    id=CART,
    channel=CART,
    currency=CART,
    lines=CART,
    couponCodes=CART,
    shippingAddress=CART,
    subtotal=CART,
    discountTotal=CART,
    shippingTotal=CART,
    taxTotal=CART,
    total=CART,
    promises=CART,
    reservedUntil=CART,
    email=CART,
    order=CART,
    sourceCode=CART,
)
@strawberry.type(
    description="A shopper's cart. Totals are at the channel's current prices and leave "
    "shipping out until checkout (each delivery option says its price)."
)
class Cart(Node):
    @strawberry.field
    def id(root: strawberry.Parent[CartQuote]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.cart_id(root))

    @strawberry.field
    async def channel(root: strawberry.Parent[CartQuote], info: Info) -> Channel:  # type: ignore[misc]
        return await r.cart_channel(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def currency(root: strawberry.Parent[CartQuote]) -> str:  # type: ignore[misc]
        return root.cart.currency

    @strawberry.field
    def lines(root: strawberry.Parent[CartQuote]) -> list[CartLine]:  # type: ignore[misc]
        return r.cart_lines(root)  # type: ignore[return-value]

    @strawberry.field
    def coupon_codes(root: strawberry.Parent[CartQuote]) -> list[str]:  # type: ignore[misc]
        return list(root.cart.coupon_codes)

    @strawberry.field
    def shipping_address(root: strawberry.Parent[CartQuote]) -> Address | None:  # type: ignore[misc]
        return root.cart.shipping_address  # type: ignore[return-value]

    @strawberry.field(description="The campaign the cart came from (cartCreate's sourceCode).")
    def source_code(root: strawberry.Parent[CartQuote]) -> str | None:  # type: ignore[misc]
        return root.cart.source_code

    @strawberry.field(description="The shopper the cart is bound to (normalized e-mail).")
    def email(root: strawberry.Parent[CartQuote]) -> str | None:  # type: ignore[misc]
        return root.cart.email

    @strawberry.field
    def subtotal(root: strawberry.Parent[CartQuote]) -> Money:  # type: ignore[misc]
        return r.money(root, root.totals.subtotal)  # type: ignore[return-value]

    @strawberry.field
    def discount_total(root: strawberry.Parent[CartQuote]) -> Money:  # type: ignore[misc]
        return r.money(root, root.totals.discount_total)  # type: ignore[return-value]

    @strawberry.field
    def shipping_total(root: strawberry.Parent[CartQuote]) -> Money:  # type: ignore[misc]
        return r.money(root, root.totals.shipping_total)  # type: ignore[return-value]

    @strawberry.field
    def tax_total(root: strawberry.Parent[CartQuote]) -> Money:  # type: ignore[misc]
        return r.money(root, root.totals.tax_total)  # type: ignore[return-value]

    @strawberry.field
    def total(root: strawberry.Parent[CartQuote]) -> Money:  # type: ignore[misc]
        return r.money(root, root.totals.total)  # type: ignore[return-value]

    @strawberry.field(
        description="Delivery and pickup options and a promise per line. `near` ranks pickup "
        "locations around the shopper when the cart has no address with coordinates."
    )
    async def promises(
        root: strawberry.Parent[CartQuote], info: Info, near: GeoPointInput | None = None
    ) -> CartPromises:  # type: ignore[misc]
        return await r.cart_promises(info.context, root, near)  # type: ignore[return-value]

    @strawberry.field(description="Until when the cart's units are held; null when none are.")
    def reserved_until(root: strawberry.Parent[CartQuote], info: Info) -> datetime | None:  # type: ignore[misc]
        return r.reserved_until(info.context, root)

    @strawberry.field(description="The order the cart became at checkout.")
    async def order(root: strawberry.Parent[CartQuote], info: Info) -> OrderRef | None:  # type: ignore[misc]
        return await r.cart_order(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, CartQuote)


@guard(cart=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class CartPayload:
    cart: Cart | None
    user_errors: list[UserError]


@strawberry.input
class CartLineInput:
    sku: str
    quantity: int
    method: FulfillmentMethod | None = DomainMethod.SHIP  # type: ignore[valid-type]
    pickup_location: str | None = None


@strawberry.input
class CartCreateInput:
    channel: str
    lines: list[CartLineInput] | None = None
    customer_email: str | None = None
    shipping_address: AddressInput | None = None
    source_code: str | None = strawberry.field(
        default=None,
        description="The campaign the shopper came from; promotions with this source code "
        "apply, and the order carries it.",
    )


@guard(cart=CART)
@strawberry.type
class CartQuery:
    @strawberry.field(description="A cart by id; null when it does not exist or is not yours.")
    async def cart(self, info: Info, id: strawberry.ID) -> Cart | None:
        return await r.cart(info.context, id)  # type: ignore[return-value]


CART_WRITE = needs("orders:write", kinds=("customer",))


@guard(
    cartCreate=needs("orders:write", kinds=("customer",), channel_arg="input.channel"),
    cartLinesAdd=CART_WRITE,
    cartLineUpdate=CART_WRITE,
    cartShippingAddressSet=CART_WRITE,
    cartCouponApply=CART_WRITE,
    cartCouponRemove=CART_WRITE,
    cartReserve=CART_WRITE,
)
@strawberry.type
class CartMutation:
    @strawberry.mutation
    async def cart_create(self, info: Info, input: CartCreateInput) -> CartPayload:
        return await r.cart_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Add lines; the same SKU, method and location adds up.")
    async def cart_lines_add(
        self, info: Info, cart_id: strawberry.ID, lines: list[CartLineInput]
    ) -> CartPayload:
        return await r.cart_lines_add(info.context, cart_id, lines)  # type: ignore[return-value]

    @strawberry.mutation(description="Set a line's quantity; 0 removes the line.")
    async def cart_line_update(
        self, info: Info, cart_id: strawberry.ID, line_id: strawberry.ID, quantity: int
    ) -> CartPayload:
        return await r.cart_line_update(info.context, cart_id, line_id, quantity)  # type: ignore[return-value]

    @strawberry.mutation
    async def cart_shipping_address_set(
        self, info: Info, cart_id: strawberry.ID, address: AddressInput
    ) -> CartPayload:
        return await r.cart_shipping_address_set(info.context, cart_id, address)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Add a coupon code, if it gives the cart something now; otherwise a "
        "COUPON_INVALID or COUPON_EXHAUSTED user error says why and the cart is unchanged."
    )
    async def cart_coupon_apply(self, info: Info, cart_id: strawberry.ID, code: str) -> CartPayload:
        return await r.cart_coupon_apply(info.context, cart_id, code)  # type: ignore[return-value]

    @strawberry.mutation(description="Take a coupon code off the cart.")
    async def cart_coupon_remove(
        self, info: Info, cart_id: strawberry.ID, code: str
    ) -> CartPayload:
        return await r.cart_coupon_remove(info.context, cart_id, code)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Hold the cart's units until `reservedUntil` (60-7200 s); expired holds "
        "return to available by themselves. Changing the lines releases the hold."
    )
    async def cart_reserve(
        self, info: Info, cart_id: strawberry.ID, ttl_seconds: int | None = 900
    ) -> CartPayload:
        return await r.cart_reserve(info.context, cart_id, ttl_seconds)  # type: ignore[return-value]
