"""Promotion resolvers: `promotions`, `promotionCreate`, `node` (docs/promotions.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import DomainError
from domain.promotions import handlers
from domain.promotions.model import Promotion, PromotionKind
from domain.promotions.validation import CreatePromotion
from persistence.reads import promotions as reads
from resolvers import visibility
from resolvers.context import Context
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.promotions import PromotionInput


async def promotions(ctx: Context, channel: str | None) -> list[Promotion]:
    """A channel-bound token lists its own channel's (naming another is refused before
    execution by the `channel_arg` policy)."""
    async with ctx.db.read() as conn:
        found = await reads.promotion_list(conn, visibility.channel_filter(ctx, channel))
    return [p for p in found if visibility.promotion(ctx, p) is not None]


async def promotion(ctx: Context, promotion_id: int) -> Promotion | None:
    async with ctx.db.read() as conn:
        found = await reads.promotion_by_id(conn, promotion_id)
    return visibility.promotion(ctx, found)


def channels(ctx: Context, found: Promotion) -> list[str]:
    """A channel-bound token sees its own channel in the list, not which others share it."""
    return sorted(code for code in found.channels if ctx.actor.sees_channel(code))


async def promotion_create(ctx: Context, data: PromotionInput) -> Result[Promotion]:
    cmd = CreatePromotion(
        name=data.name,
        kind=PromotionKind(data.kind.value),  # type: ignore[attr-defined]
        value=data.value,
        channels=tuple(data.channels),
        coupon_code=data.coupon_code,
        usage_limit=data.usage_limit,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        min_subtotal=data.min_subtotal,
        skus=tuple(data.skus or ()),
        categories=tuple(data.categories or ()),
        buy_quantity=data.buy_quantity,
        get_quantity=data.get_quantity,
        exclusive=bool(data.exclusive),
        priority=data.priority if data.priority is not None else 0,
        source_code=data.source_code,
    )
    try:
        return Result(await handlers.create_promotion(cmd, ctx.actor, ctx.uow(), ctx.started))
    except DomainError as error:
        return Result.failed(error)
