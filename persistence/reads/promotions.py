"""Promotion reads for the API (lists and `node`), outside any unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.promotions.model import Promotion
from persistence.repositories.promotions import in_channel, promotion_from
from persistence.tables import promotions

_p = promotions.c


async def promotion_list(conn: AsyncConnection, channel: str | None) -> list[Promotion]:
    """Every promotion, or those of one channel, in the order the engine considers them
    (priority, highest first, then oldest first)."""
    query = select(promotions).order_by(_p.priority.desc(), _p.id)
    if channel is not None:
        query = query.where(in_channel(channel))
    return [promotion_from(row) for row in await conn.execute(query)]


async def promotion_by_id(conn: AsyncConnection, promotion_id: int) -> Promotion | None:
    row = (await conn.execute(select(promotions).where(_p.id == promotion_id))).first()
    return promotion_from(row) if row is not None else None
