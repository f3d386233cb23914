"""Promotion types, the `promotions` list and `promotionCreate` (docs/promotions.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from domain.promotions import model
from resolvers import ids
from resolvers import promotions as r
from schema.common import Info, Node, UserError
from schema.policy import PUBLIC, guard, needs

PromotionKind = strawberry.enum(model.PromotionKind, name="PromotionKind")

# Marketing staff and finance. Coupon codes are secret-ish (a leaked code is a discount for
# anyone): storefront, customer and partner tokens can hold neither scope.
PROMOTIONS = needs("promotions:write", "finance:read", no_location_binding=True)


@guard(
    id=PROMOTIONS,
    name=PROMOTIONS,
    kind=PROMOTIONS,
    value=PROMOTIONS,
    channels=PROMOTIONS,
    couponCode=PROMOTIONS,
    usageLimit=PROMOTIONS,
    timesUsed=PROMOTIONS,
    startsAt=PROMOTIONS,
    endsAt=PROMOTIONS,
    minSubtotal=PROMOTIONS,
    skus=PROMOTIONS,
    categories=PROMOTIONS,
    buyQuantity=PROMOTIONS,
    getQuantity=PROMOTIONS,
    exclusive=PROMOTIONS,
    priority=PROMOTIONS,
    sourceCode=PROMOTIONS,
)
@strawberry.type(description="A discount rule; how kinds stack is in docs/promotions.md.")
class Promotion(Node):
    name: str
    kind: PromotionKind  # type: ignore[valid-type]
    value: Decimal = strawberry.field(
        description="Percent for *_PERCENT and BUY_X_GET_Y; an amount for *_FIXED (per unit "
        "for LINE_FIXED); ignored for FREE_SHIPPING."
    )
    coupon_code: str | None = strawberry.field(
        description="Normalized (upper case); null: applies automatically."
    )
    usage_limit: int | None
    times_used: int = strawberry.field(description="Orders that used it (cancelled included).")
    starts_at: datetime | None
    ends_at: datetime | None = strawberry.field(description="Exclusive.")
    min_subtotal: Decimal | None
    buy_quantity: int | None
    get_quantity: int | None
    exclusive: bool
    priority: int
    source_code: str | None

    @strawberry.field
    def id(root: strawberry.Parent[model.Promotion]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Promotion", root.id))

    @strawberry.field(description="Channel codes (a channel-bound token sees its own).")
    def channels(root: strawberry.Parent[model.Promotion], info: Info) -> list[str]:  # type: ignore[misc]
        return r.channels(info.context, root)

    @strawberry.field
    def skus(root: strawberry.Parent[model.Promotion]) -> list[str]:  # type: ignore[misc]
        return sorted(root.skus)

    @strawberry.field
    def categories(root: strawberry.Parent[model.Promotion]) -> list[str]:  # type: ignore[misc]
        return sorted(root.categories)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Promotion)


@strawberry.input
class PromotionInput:
    name: str
    kind: PromotionKind  # type: ignore[valid-type]
    value: Decimal
    channels: list[str]
    coupon_code: str | None = None
    usage_limit: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_subtotal: Decimal | None = None
    skus: list[str] | None = None
    categories: list[str] | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    exclusive: bool | None = False
    priority: int | None = 0
    source_code: str | None = None


@guard(promotion=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class PromotionPayload:
    promotion: Promotion | None
    user_errors: list[UserError]


@guard(promotions=needs("promotions:write", "finance:read", channel_arg="channel"))
@strawberry.type
class PromotionsQuery:
    @strawberry.field(
        description="Promotions by priority (highest first), of one channel or all the token "
        "may see."
    )
    async def promotions(self, info: Info, channel: str | None = None) -> list[Promotion]:
        return await r.promotions(info.context, channel)  # type: ignore[return-value]


@guard(promotionCreate=needs("promotions:write", no_location_binding=True))
@strawberry.type
class PromotionsMutation:
    @strawberry.mutation(
        description="Create a promotion; bad input lists every problem and stores nothing."
    )
    async def promotion_create(self, info: Info, input: PromotionInput) -> PromotionPayload:
        return await r.promotion_create(info.context, input)  # type: ignore[return-value]
