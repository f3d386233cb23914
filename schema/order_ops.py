"""Operations on placed orders: the store and warehouse steps of a fulfillment, and
customer care on an order. Policies (docs/access.md, "Orders"):

- fulfillment steps: `fulfillment:write` (staff, a 3PL or store app); a location-bound
  token acts on its own location's fulfillments only, a channel-bound one on its channel's
  orders only (others are NOT_FOUND).
- care: `orders:write`, never location-bound (a store does not cancel an order);
  storefront tokens are refused by the handlers (FORBIDDEN). Appeasement gives money back:
  unbound (staff) tokens only.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from resolvers import order_ops as r
from schema.common import AddressInput, Info
from schema.orders import FulfillmentPayload, OrderPayload
from schema.policy import guard, needs

FULFILLMENT = needs("fulfillment:write")
CARE = needs("orders:write", no_location_binding=True)
MONEY_BACK = needs("orders:write", unbound_only=True)


@guard(
    fulfillmentAccept=FULFILLMENT,
    fulfillmentReject=FULFILLMENT,
    fulfillmentPick=FULFILLMENT,
    fulfillmentPack=FULFILLMENT,
    fulfillmentShip=FULFILLMENT,
    fulfillmentReadyForPickup=FULFILLMENT,
    fulfillmentPickedUp=FULFILLMENT,
    fulfillmentPickupCodeReissue=FULFILLMENT,
)
@strawberry.type
class FulfillmentOpsMutation:
    @strawberry.mutation(description="The location takes the work (ASSIGNED -> ACCEPTED).")
    async def fulfillment_accept(self, info: Info, id: strawberry.ID) -> FulfillmentPayload:
        return await r.fulfillment_accept(info.context, id)  # type: ignore[return-value]

    @strawberry.mutation(
        description="The location cannot do it: its units are released and the order "
        "re-sourced to the next best location (never one that rejected it, never one at "
        "capacity); what nobody can send is backordered (when allowed) or cancelled."
    )
    async def fulfillment_reject(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> FulfillmentPayload:
        return await r.fulfillment_reject(info.context, id, reason)  # type: ignore[return-value]

    @strawberry.mutation(description="ACCEPTED -> PICKED.")
    async def fulfillment_pick(self, info: Info, id: strawberry.ID) -> FulfillmentPayload:
        return await r.fulfillment_pick(info.context, id)  # type: ignore[return-value]

    @strawberry.mutation(description="PICKED -> PACKED.")
    async def fulfillment_pack(self, info: Info, id: strawberry.ID) -> FulfillmentPayload:
        return await r.fulfillment_pack(info.context, id)  # type: ignore[return-value]

    @strawberry.mutation(
        description="PACKED -> SHIPPED: the parcel's share of the payment is captured and "
        "its units leave onHand (journaled, so a late count keeps them out)."
    )
    async def fulfillment_ship(
        self, info: Info, id: strawberry.ID, carrier: str, tracking_number: str
    ) -> FulfillmentPayload:
        return await r.fulfillment_ship(info.context, id, carrier, tracking_number)  # type: ignore[return-value]

    @strawberry.mutation(
        description="A pickup waits at the counter (PICKED or PACKED -> READY_FOR_PICKUP) "
        "with a new 6-digit pickupCode for the shopper."
    )
    async def fulfillment_ready_for_pickup(
        self, info: Info, id: strawberry.ID
    ) -> FulfillmentPayload:
        return await r.fulfillment_ready_for_pickup(info.context, id)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Hand over against the shopper's code (captured at handover). A wrong "
        "code is INVALID and counts; after 5 the pickup refuses codes (FORBIDDEN) until "
        "fulfillmentPickupCodeReissue."
    )
    async def fulfillment_picked_up(
        self, info: Info, id: strawberry.ID, pickup_code: str
    ) -> FulfillmentPayload:
        return await r.fulfillment_picked_up(info.context, id, pickup_code)  # type: ignore[return-value]

    @strawberry.mutation(
        description="A new pickup code for a pickup waiting at the counter; wrong attempts "
        "start again at 0 (the shopper reads the new code on the order)."
    )
    async def fulfillment_pickup_code_reissue(
        self, info: Info, id: strawberry.ID
    ) -> FulfillmentPayload:
        return await r.fulfillment_pickup_code_reissue(info.context, id)  # type: ignore[return-value]


@guard(
    orderCancel=CARE,
    orderLineCancel=CARE,
    orderShippingAddressUpdate=CARE,
    orderHold=CARE,
    orderRelease=CARE,
    orderAppease=MONEY_BACK,
)
@strawberry.type
class OrderCareMutation:
    @strawberry.mutation(
        description="Cancel every unit not yet shipped or handed over: stock released, the "
        "authorization nobody will capture released (VOIDED when nothing was captured)."
    )
    async def order_cancel(self, info: Info, id: strawberry.ID, reason: str) -> OrderPayload:
        return await r.order_cancel(info.context, id, reason)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Cancel 1..(units not shipped) of a line: backordered units first, then "
        "units in the least advanced fulfillments."
    )
    async def order_line_cancel(
        self,
        info: Info,
        order_id: strawberry.ID,
        line_id: strawberry.ID,
        quantity: int,
        reason: str,
    ) -> OrderPayload:
        return await r.order_line_cancel(info.context, order_id, line_id, quantity, reason)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Until the first parcel leaves (INVALID_TRANSITION after); the country "
        "cannot change (tax and delivery were agreed for it)."
    )
    async def order_shipping_address_update(
        self, info: Info, id: strawberry.ID, address: AddressInput
    ) -> OrderPayload:
        return await r.order_shipping_address_update(info.context, id, address)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Stop the order (ON_HOLD): its fulfillments cannot progress until "
        "released; they can still be rejected or cancelled."
    )
    async def order_hold(self, info: Info, id: strawberry.ID, reason: str) -> OrderPayload:
        return await r.order_hold(info.context, id, reason)  # type: ignore[return-value]

    @strawberry.mutation(description="Back to the status its units are in.")
    async def order_release(self, info: Info, id: strawberry.ID) -> OrderPayload:
        return await r.order_release(info.context, id)  # type: ignore[return-value]

    @strawberry.mutation(
        description="A goodwill amount, at most what the shopper paid and did not get back "
        "(with a gateway payment: captured minus refunded); refunded through the gateway."
    )
    async def order_appease(
        self, info: Info, id: strawberry.ID, amount: Decimal, reason: str
    ) -> OrderPayload:
        return await r.order_appease(info.context, id, amount, reason)  # type: ignore[return-value]
