"""Return types, so orders and customers can list their returns (the contract's shape).

Nothing produces a Return yet: `Order.returns` and `Customer.returns` are empty lists until
the returns wiring (finance-wiring) persists them and replaces these field resolvers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain.returns.model import Disposition
from domain.returns.model import ReturnStatus as DomainReturnStatus
from schema.common import Money, Node
from schema.locations import Location
from schema.policy import guard, needs

if TYPE_CHECKING:
    from schema.orders import Order

OrderRef = Annotated["Order", strawberry.lazy("schema.orders")]
ReturnStatus = strawberry.enum(DomainReturnStatus, name="ReturnStatus")
ReturnDisposition = strawberry.enum(Disposition, name="ReturnDisposition")
RETURNS = needs("orders:read", "returns:write")


@guard(orderLineId=RETURNS, sku=RETURNS, quantity=RETURNS, reason=RETURNS, disposition=RETURNS)
@strawberry.type
class ReturnLine:
    order_line_id: strawberry.ID
    sku: str
    quantity: int
    reason: str
    disposition: ReturnDisposition | None  # type: ignore[valid-type]


@guard(
    id=RETURNS,
    order=RETURNS,
    status=RETURNS,
    location=RETURNS,
    lines=RETURNS,
    refund=RETURNS,
    exchangeOrder=RETURNS,
    createdAt=RETURNS,
)
@strawberry.type
class Return(Node):
    id: strawberry.ID
    order: OrderRef
    status: ReturnStatus  # type: ignore[valid-type]
    location: Location | None
    lines: list[ReturnLine]
    refund: Money | None
    exchange_order: OrderRef | None
    created_at: datetime

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return False  # nothing resolves to a Return yet
