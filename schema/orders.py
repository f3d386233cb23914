"""Order types: orders with their lines, fulfillments, payments and history; customers;
checkout (cartComplete, orderPlace) and the order queries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.customers.model import Customer as DomainCustomer
from domain.orders.lifecycle import FulfillmentStatus as DomainFulfillmentStatus
from domain.orders.lifecycle import OrderStatus as DomainOrderStatus
from domain.orders.model import HistoryEntry
from domain.payments.model import Payment as DomainPayment
from domain.payments.model import PaymentStatus as DomainPaymentStatus
from persistence.reads.orders import FulfillmentView, OrderView
from resolvers import orders as r
from resolvers import returns as returns_r
from resolvers.orders import OrderLineView
from schema.carts import FulfillmentMethod
from schema.catalog import Channel, Variant
from schema.common import Address, AddressInput, Info, Money, Node, PageInfo, UserError
from schema.locations import Location
from schema.order_inputs import ChannelOrderSettingsInput
from schema.policy import PUBLIC, guard, needs
from schema.returns import Return

OrderStatus = strawberry.enum(DomainOrderStatus, name="OrderStatus")
FulfillmentStatus = strawberry.enum(DomainFulfillmentStatus, name="FulfillmentStatus")
PaymentStatus = strawberry.enum(DomainPaymentStatus, name="PaymentStatus")

# Orders: `orders:read` (a customer token holds it and sees its own), and `orders:write` so
# that the storefront that placed an order reads it back in the payload.
ORDER = needs("orders:read", "orders:write")
# The shopper's data (CONTRACT.md): customers:read, or the customer itself.
SHOPPER = needs("customers:read", kinds=("customer",))
# Work at a location: also the store or 3PL doing it.
WORK = needs("orders:read", "orders:write", "fulfillment:write")


@guard(
    id=ORDER,
    sku=ORDER,
    variant=ORDER,
    quantity=ORDER,
    quantityCancelled=ORDER,
    quantityShipped=ORDER,
    quantityReturned=ORDER,
    unitPrice=ORDER,
    discount=ORDER,
    total=ORDER,
    tax=ORDER,
    method=ORDER,
)
@strawberry.type
class OrderLine:
    @strawberry.field
    def id(root: strawberry.Parent[OrderLineView]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(root.line.id)

    @strawberry.field
    def sku(root: strawberry.Parent[OrderLineView]) -> str:  # type: ignore[misc]
        return root.line.sku

    @strawberry.field
    async def variant(root: strawberry.Parent[OrderLineView], info: Info) -> Variant:  # type: ignore[misc]
        return await r.line_variant(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def quantity(root: strawberry.Parent[OrderLineView]) -> int:  # type: ignore[misc]
        return root.line.quantity

    @strawberry.field
    def quantity_cancelled(root: strawberry.Parent[OrderLineView]) -> int:  # type: ignore[misc]
        return root.line.quantity_cancelled

    @strawberry.field(description="Shipped or handed over at pickup.")
    def quantity_shipped(root: strawberry.Parent[OrderLineView]) -> int:  # type: ignore[misc]
        return root.line.quantity_shipped

    @strawberry.field
    def quantity_returned(root: strawberry.Parent[OrderLineView]) -> int:  # type: ignore[misc]
        return root.line.quantity_returned

    @strawberry.field
    def unit_price(root: strawberry.Parent[OrderLineView]) -> Money:  # type: ignore[misc]
        return root.money(root.line.unit_price)  # type: ignore[return-value]

    @strawberry.field
    def discount(root: strawberry.Parent[OrderLineView]) -> Money:  # type: ignore[misc]
        return root.money(root.line.discount)  # type: ignore[return-value]

    @strawberry.field(description="Unit price x quantity - discount.")
    def total(root: strawberry.Parent[OrderLineView]) -> Money:  # type: ignore[misc]
        return root.money(root.line.total)  # type: ignore[return-value]

    @strawberry.field(description="Tax in (inclusive channel) or on (exclusive) the total.")
    def tax(root: strawberry.Parent[OrderLineView]) -> Money:  # type: ignore[misc]
        return root.money(root.line.tax)  # type: ignore[return-value]

    @strawberry.field
    def method(root: strawberry.Parent[OrderLineView]) -> FulfillmentMethod:  # type: ignore[misc,valid-type]
        return root.line.method


@guard(orderLineId=WORK, sku=WORK, quantity=WORK)
@strawberry.type
class FulfillmentLine:
    order_line_id: strawberry.ID
    sku: str
    quantity: int


@guard(
    id=WORK,
    order=ORDER,
    location=WORK,
    method=WORK,
    status=WORK,
    lines=WORK,
    trackingNumber=WORK,
    carrier=WORK,
    pickupCode=SHOPPER,
    createdAt=WORK,
    updatedAt=WORK,
)
@strawberry.type(description="Work at one location: a parcel to ship or a pickup to hand over.")
class Fulfillment(Node):
    @strawberry.field
    def id(root: strawberry.Parent[FulfillmentView]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.fulfillment_id(root))

    @strawberry.field
    async def order(root: strawberry.Parent[FulfillmentView], info: Info) -> Order:  # type: ignore[misc]
        return await r.fulfillment_order(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    async def location(root: strawberry.Parent[FulfillmentView], info: Info) -> Location:  # type: ignore[misc]
        return await r.fulfillment_location(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def method(root: strawberry.Parent[FulfillmentView]) -> FulfillmentMethod:  # type: ignore[misc,valid-type]
        return root.fulfillment.method

    @strawberry.field
    def status(root: strawberry.Parent[FulfillmentView]) -> FulfillmentStatus:  # type: ignore[misc,valid-type]
        return root.fulfillment.status

    @strawberry.field
    def lines(root: strawberry.Parent[FulfillmentView]) -> list[FulfillmentLine]:  # type: ignore[misc]
        return root.fulfillment.lines  # type: ignore[return-value]

    @strawberry.field
    def tracking_number(root: strawberry.Parent[FulfillmentView]) -> str | None:  # type: ignore[misc]
        return root.fulfillment.tracking_number

    @strawberry.field
    def carrier(root: strawberry.Parent[FulfillmentView]) -> str | None:  # type: ignore[misc]
        return root.fulfillment.carrier

    @strawberry.field(description="Shown to the customer, checked at handover.")
    def pickup_code(root: strawberry.Parent[FulfillmentView]) -> str | None:  # type: ignore[misc]
        return root.fulfillment.pickup_code

    @strawberry.field
    def created_at(root: strawberry.Parent[FulfillmentView]) -> datetime:  # type: ignore[misc]
        return root.fulfillment.created_at

    @strawberry.field
    def updated_at(root: strawberry.Parent[FulfillmentView]) -> datetime:  # type: ignore[misc]
        return root.fulfillment.updated_at

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, FulfillmentView)


@guard(
    id=SHOPPER,
    gateway=SHOPPER,
    status=SHOPPER,
    authorized=SHOPPER,
    captured=SHOPPER,
    refunded=SHOPPER,
)
@strawberry.type(description="A payment through a gateway; tokens only, never card data.")
class Payment:
    gateway: str

    @strawberry.field
    def id(root: strawberry.Parent[DomainPayment]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(root.id)

    @strawberry.field
    def status(root: strawberry.Parent[DomainPayment]) -> PaymentStatus:  # type: ignore[misc,valid-type]
        return root.status

    @strawberry.field
    def authorized(root: strawberry.Parent[DomainPayment]) -> Money:  # type: ignore[misc]
        return r.payment_money(root, root.authorized)  # type: ignore[return-value]

    @strawberry.field
    def captured(root: strawberry.Parent[DomainPayment]) -> Money:  # type: ignore[misc]
        return r.payment_money(root, root.captured)  # type: ignore[return-value]

    @strawberry.field
    def refunded(root: strawberry.Parent[DomainPayment]) -> Money:  # type: ignore[misc]
        return r.payment_money(root, root.refunded)  # type: ignore[return-value]


@guard(at=ORDER, type=ORDER, message=ORDER, actor=ORDER)
@strawberry.type(description="One change of the order, with who made it.")
class OrderEvent:
    at: datetime
    type: str
    message: str
    actor: str | None

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, HistoryEntry)


@guard(
    id=ORDER,
    number=ORDER,
    channel=ORDER,
    status=ORDER,
    customer=SHOPPER,
    email=SHOPPER,
    lines=ORDER,
    fulfillments=ORDER,
    shippingAddress=SHOPPER,
    sourceCode=ORDER,
    couponCodes=ORDER,
    subtotal=ORDER,
    discountTotal=ORDER,
    shippingTotal=ORDER,
    taxTotal=ORDER,
    total=ORDER,
    payments=SHOPPER,
    returns=ORDER,
    history=ORDER,
    createdAt=ORDER,
    updatedAt=ORDER,
)
@strawberry.type
class Order(Node):
    number: str
    source_code: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def id(root: strawberry.Parent[OrderView]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.order_id(root))

    @strawberry.field
    async def channel(root: strawberry.Parent[OrderView], info: Info) -> Channel:  # type: ignore[misc]
        return await r.order_channel(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def status(root: strawberry.Parent[OrderView]) -> OrderStatus:  # type: ignore[misc,valid-type]
        return root.status

    @strawberry.field
    async def customer(root: strawberry.Parent[OrderView], info: Info) -> Customer | None:  # type: ignore[misc]
        return await r.order_customer(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def email(root: strawberry.Parent[OrderView]) -> str | None:  # type: ignore[misc]
        return root.email

    @strawberry.field
    async def lines(root: strawberry.Parent[OrderView], info: Info) -> list[OrderLine]:  # type: ignore[misc]
        return await r.order_lines(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    async def fulfillments(root: strawberry.Parent[OrderView], info: Info) -> list[Fulfillment]:  # type: ignore[misc]
        return await r.order_fulfillments(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def shipping_address(root: strawberry.Parent[OrderView]) -> Address | None:  # type: ignore[misc]
        return root.shipping_address  # type: ignore[return-value]

    @strawberry.field
    def coupon_codes(root: strawberry.Parent[OrderView]) -> list[str]:  # type: ignore[misc]
        return list(root.coupon_codes)

    @strawberry.field
    def subtotal(root: strawberry.Parent[OrderView]) -> Money:  # type: ignore[misc]
        return r.order_money(root, root.totals.subtotal)  # type: ignore[return-value]

    @strawberry.field
    def discount_total(root: strawberry.Parent[OrderView]) -> Money:  # type: ignore[misc]
        return r.order_money(root, root.totals.discount_total)  # type: ignore[return-value]

    @strawberry.field
    def shipping_total(root: strawberry.Parent[OrderView]) -> Money:  # type: ignore[misc]
        return r.order_money(root, root.totals.shipping_total)  # type: ignore[return-value]

    @strawberry.field
    def tax_total(root: strawberry.Parent[OrderView]) -> Money:  # type: ignore[misc]
        return r.order_money(root, root.totals.tax_total)  # type: ignore[return-value]

    @strawberry.field
    def total(root: strawberry.Parent[OrderView]) -> Money:  # type: ignore[misc]
        return r.order_money(root, root.totals.total)  # type: ignore[return-value]

    @strawberry.field
    async def payments(root: strawberry.Parent[OrderView], info: Info) -> list[Payment]:  # type: ignore[misc]
        return await r.order_payments(info.context, root)  # type: ignore[return-value]

    @strawberry.field(description="Oldest first.")
    async def returns(root: strawberry.Parent[OrderView], info: Info) -> list[Return]:  # type: ignore[misc]
        return await returns_r.of_order(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    async def history(root: strawberry.Parent[OrderView], info: Info) -> list[OrderEvent]:  # type: ignore[misc]
        return await r.order_history(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, OrderView)


@guard(cursor=ORDER, node=ORDER)
@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@guard(edges=ORDER, pageInfo=ORDER, totalCount=ORDER)
@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@guard(id=SHOPPER, email=SHOPPER, name=SHOPPER, orders=SHOPPER, returns=SHOPPER)
@strawberry.type(description="A shopper, known by e-mail; created at their first checkout.")
class Customer(Node):
    email: str
    name: str | None

    @strawberry.field
    def id(root: strawberry.Parent[DomainCustomer]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.customer_id(root))

    @strawberry.field(description="Newest first.")
    async def orders(
        root: strawberry.Parent[DomainCustomer],
        info: Info,
        first: int | None = 20,
        after: str | None = None,
    ) -> OrderConnection:  # type: ignore[misc]
        return await r.customer_orders(info.context, root, first, after)  # type: ignore[return-value]

    @strawberry.field(description="Returns of the orders this token may see, oldest first.")
    async def returns(root: strawberry.Parent[DomainCustomer], info: Info) -> list[Return]:  # type: ignore[misc]
        return await returns_r.of_customer(info.context, root)  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DomainCustomer)


@guard(order=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class OrderPayload:
    order: Order | None
    user_errors: list[UserError]


@guard(fulfillment=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class FulfillmentPayload:
    fulfillment: Fulfillment | None
    user_errors: list[UserError]


@guard(settings=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class ChannelOrderSettingsPayload:
    settings: JSON | None = strawberry.field(description="The settings as stored.")
    user_errors: list[UserError]


@strawberry.input(
    description="A token from the payment provider; card data never reaches this API."
)
class PaymentInput:
    gateway: str
    token: str


@strawberry.input
class CartCompleteInput:
    cart_id: strawberry.ID
    payment: PaymentInput
    delivery_option: str | None = None
    customer_email: str | None = None


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="The marketplace's or till's price: admin and partner tokens."
    )


@strawberry.input(
    description="For channels that create orders directly (marketplace, POS, call center)."
)
class OrderPlaceInput:
    channel: str
    lines: list[OrderLineInput]
    email: str | None = None
    shipping_address: AddressInput | None = None
    delivery_option: str | None = None
    pickup_location: str | None = None
    coupon_codes: list[str] | None = None
    source_code: str | None = None
    payment: PaymentInput | None = None
    external_reference: str | None = None


@strawberry.input
class OrderFilter:
    status: list[OrderStatus] | None = None  # type: ignore[valid-type]
    channel: str | None = None
    customer_email: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    stuck_for_minutes: int | None = strawberry.field(
        default=None, description="Sitting in its current status longer than this (SLA at risk)."
    )
    source_code: str | None = strawberry.field(
        default=None, description="Orders of this campaign (source code; case-insensitive)."
    )


@guard(order=needs("orders:read"), orders=needs("orders:read"), customer=SHOPPER)
@strawberry.type
class OrdersQuery:
    @strawberry.field(description="By id or number; null when it does not exist or is not yours.")
    async def order(
        self, info: Info, id: strawberry.ID | None = None, number: str | None = None
    ) -> Order | None:
        return await r.order(info.context, id, number)  # type: ignore[return-value]

    @strawberry.field(description="Newest first, within what the token may see.")
    async def orders(
        self,
        info: Info,
        filter: OrderFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> OrderConnection:
        return await r.orders(info.context, filter, first, after)  # type: ignore[return-value]

    @strawberry.field(description="A customer by e-mail (a customer token: its own only).")
    async def customer(self, info: Info, email: str) -> Customer | None:
        return await r.customer(info.context, email)  # type: ignore[return-value]


@guard(
    cartComplete=needs("orders:write", kinds=("customer",)),
    orderPlace=needs("orders:write", channel_arg="input.channel"),
    channelOrderSettingsSet=needs("orders:write", unbound_only=True),
)
@strawberry.type
class OrdersMutation:
    @strawberry.mutation(
        description="Place the cart's order: every unit allocated (or backordered) and the "
        "payment authorized, or nothing changes. The same idempotencyKey with the same input "
        "returns the same order; with other input it is a CONFLICT."
    )
    async def cart_complete(
        self, info: Info, input: CartCompleteInput, idempotency_key: str | None = None
    ) -> OrderPayload:
        return await r.cart_complete(info.context, input, idempotency_key)  # type: ignore[return-value]

    @strawberry.mutation(
        description="An order sent whole (marketplace, POS, call center); same guarantees as "
        "cartComplete. unitPrice and paying elsewhere (no payment) need an admin or partner token."
    )
    async def order_place(
        self, info: Info, input: OrderPlaceInput, idempotency_key: str | None = None
    ) -> OrderPayload:
        return await r.order_place(info.context, input, idempotency_key)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Replace a channel's order settings: tax table, sourcing, delivery options, "
        "pickup, order number prefix (what is left out takes its default)."
    )
    async def channel_order_settings_set(
        self, info: Info, channel: str, input: ChannelOrderSettingsInput
    ) -> ChannelOrderSettingsPayload:
        return await r.channel_order_settings_set(info.context, channel, input)  # type: ignore[return-value]
