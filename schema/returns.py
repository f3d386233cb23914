"""Returns: the Return and ReturnLine types, their inputs and mutations (docs/returns.md;
who may do what: docs/access.md)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain.returns.model import Disposition
from domain.returns.model import Return as DomainReturn
from domain.returns.model import ReturnLine as DomainReturnLine
from domain.returns.model import ReturnStatus as DomainReturnStatus
from resolvers import returns as r
from schema.common import Info, Money, Node, UserError
from schema.locations import Location
from schema.policy import PUBLIC, guard, needs

if TYPE_CHECKING:
    from schema.orders import Order, PaymentInput

OrderRef = Annotated["Order", strawberry.lazy("schema.orders")]
PaymentRef = Annotated["PaymentInput", strawberry.lazy("schema.orders")]
ReturnStatus = strawberry.enum(DomainReturnStatus, name="ReturnStatus")
ReturnDisposition = strawberry.enum(Disposition, name="ReturnDisposition")
# Reading returns: whoever reads the order (a customer token holds orders:read), and the
# store or care agent handling them.
RETURNS = needs("orders:read", "returns:write")
# Creating and receiving; a customer token holds returns:write (its own orders only, and
# it cannot receive: domain/returns/handlers.py).
WRITE = needs("returns:write")
# Money goes back: staff (unbound tokens), as for orderAppease.
REFUND = needs("returns:write", unbound_only=True)


@guard(
    orderLineId=RETURNS,
    sku=RETURNS,
    quantity=RETURNS,
    reason=RETURNS,
    disposition=RETURNS,
    quantityReceived=RETURNS,
)
@strawberry.type
class ReturnLine:
    order_line_id: strawberry.ID
    sku: str
    quantity: int = strawberry.field(description="Units requested.")
    reason: str
    disposition: ReturnDisposition | None  # type: ignore[valid-type]

    @strawberry.field(description="Units that arrived; null until the return is received.")
    def quantity_received(root: strawberry.Parent[DomainReturnLine]) -> int | None:  # type: ignore[misc]
        return root.received


@guard(
    id=RETURNS,
    order=RETURNS,
    status=RETURNS,
    location=RETURNS,
    lines=RETURNS,
    refund=RETURNS,
    exchangeOrder=RETURNS,
    createdAt=RETURNS,
    updatedAt=RETURNS,
)
@strawberry.type(description="A return of shipped or picked-up units (docs/returns.md).")
class Return(Node):
    created_at: datetime

    @strawberry.field
    def id(root: strawberry.Parent[DomainReturn]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(r.return_id(root))

    @strawberry.field
    async def order(root: strawberry.Parent[DomainReturn], info: Info) -> OrderRef:  # type: ignore[misc]
        return await r.order_of(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def status(root: strawberry.Parent[DomainReturn]) -> ReturnStatus:  # type: ignore[misc,valid-type]
        return root.status

    @strawberry.field(
        description="Where it was received; before that, where it is announced (null: mail-back)."
    )
    async def location(root: strawberry.Parent[DomainReturn], info: Info) -> Location | None:  # type: ignore[misc]
        return await r.location(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def lines(root: strawberry.Parent[DomainReturn]) -> list[ReturnLine]:  # type: ignore[misc]
        return list(root.lines)  # type: ignore[arg-type]

    @strawberry.field(description="What was refunded, once; null until refunded.")
    def refund(root: strawberry.Parent[DomainReturn]) -> Money | None:  # type: ignore[misc]
        return r.refund(root)  # type: ignore[return-value]

    @strawberry.field(description="The linked order for the replacement units of an exchange.")
    async def exchange_order(root: strawberry.Parent[DomainReturn], info: Info) -> OrderRef | None:  # type: ignore[misc]
        return await r.exchange_order(info.context, root)  # type: ignore[return-value]

    @strawberry.field
    def updated_at(root: strawberry.Parent[DomainReturn]) -> datetime:  # type: ignore[misc]
        return root.updated_at or root.created_at

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DomainReturn)


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID
    quantity: int
    reason: str


@strawberry.input(description="A replacement for units of a line being returned (exchange).")
class ExchangeLineInput:
    order_line_id: strawberry.ID
    sku: str
    quantity: int


@strawberry.input
class ReturnCreateInput:
    order_id: strawberry.ID
    lines: list[ReturnLineInput]
    location: str | None = strawberry.field(
        default=None, description="Where the customer brings it; null: mail-back."
    )
    exchange_skus: list[ExchangeLineInput] | None = None
    payment: PaymentRef | None = strawberry.field(
        default=None,
        description="Pays a replacement dearer than the returned units (exchangeSkus): it "
        "authorizes the replacement order's total, and the return is refunded in full.",
    )


@strawberry.input
class ReturnReceiveLineInput:
    order_line_id: strawberry.ID
    quantity: int
    disposition: ReturnDisposition  # type: ignore[valid-type]


@guard(**{"return": PUBLIC}, userErrors=PUBLIC)
@strawberry.type
class ReturnPayload:
    user_errors: list[UserError]

    @strawberry.field(name="return")
    def return_(root: strawberry.Parent[Any]) -> Return | None:  # type: ignore[misc]
        return root.value  # type: ignore[no-any-return]


@guard(returnCreate=WRITE, returnReceive=WRITE, returnRefund=REFUND)
@strawberry.type
class ReturnsMutation:
    @strawberry.mutation(
        description="Return shipped or picked-up units (never more than shipped minus already "
        "returned) to a location that accepts returns, or by mail; exchangeSkus place a "
        "linked order for the replacements."
    )
    async def return_create(self, info: Info, input: ReturnCreateInput) -> ReturnPayload:
        return await r.return_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Goods in, once: per line the units that arrived and their disposition "
        "(RESTOCK back into the location's onHand, DISCARD written off, RETURN_TO_VENDOR)."
    )
    async def return_receive(
        self,
        info: Info,
        id: strawberry.ID,
        location: str,
        lines: list[ReturnReceiveLineInput],
    ) -> ReturnPayload:
        return await r.return_receive(info.context, id, location, lines)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Refund a received return through the payment gateway, once "
        "(docs/returns.md: the policy); a second refund is INVALID_TRANSITION."
    )
    async def return_refund(self, info: Info, id: strawberry.ID) -> ReturnPayload:
        return await r.return_refund(info.context, id)  # type: ignore[return-value]
