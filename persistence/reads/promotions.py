"""Promotion reads for the API (lists and `node`), outside any unit of work.

`timesUsed` is read from the redemptions (one row per order that used the promotion): the
counter on the promotion row is kept only for promotions with a usage limit, where the
checkout pays a row lock for it; an unlimited promotion never makes checkouts wait.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.promotions.model import Promotion
from persistence.repositories.promotions import in_channel, promotion_from
from persistence.tables import promotion_redemptions, promotions

_p = promotions.c
_r = promotion_redemptions.c


def _query() -> Any:
    used = (
        select(func.count())
        .where(_r.promotion_id == _p.id)
        .correlate(promotions)
        .scalar_subquery()
        .label("redeemed")
    )
    return select(promotions, used)


def _promotion(row: Any) -> Promotion:
    return replace(promotion_from(row), times_used=int(row.redeemed))


async def promotion_list(conn: AsyncConnection, channel: str | None) -> list[Promotion]:
    """Every promotion, or those of one channel, in the order the engine considers them
    (priority, highest first, then oldest first)."""
    query = _query().order_by(_p.priority.desc(), _p.id)
    if channel is not None:
        query = query.where(in_channel(channel))
    return [_promotion(row) for row in await conn.execute(query)]


async def promotion_by_id(conn: AsyncConnection, promotion_id: int) -> Promotion | None:
    row = (await conn.execute(_query().where(_p.id == promotion_id))).first()
    return _promotion(row) if row is not None else None
