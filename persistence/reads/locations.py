"""Location reads."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.locations.model import Location
from persistence import mappers
from persistence.tables import locations


async def all_locations(conn: AsyncConnection) -> list[Location]:
    rows = await conn.execute(select(locations).order_by(locations.c.id))
    return [mappers.location(row) for row in rows]


async def location_page(
    conn: AsyncConnection, after_id: int | None, limit: int, only_code: str | None = None
) -> list[Location]:
    query = select(locations).order_by(locations.c.id).limit(limit)
    if after_id is not None:
        query = query.where(locations.c.id > after_id)
    if only_code is not None:
        query = query.where(locations.c.code == only_code)
    return [mappers.location(row) for row in await conn.execute(query)]


async def location_count(conn: AsyncConnection, only_code: str | None = None) -> int:
    query = select(func.count()).select_from(locations)
    if only_code is not None:
        query = query.where(locations.c.code == only_code)
    return int((await conn.execute(query)).scalar_one())


async def locations_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Location]:
    rows = await conn.execute(select(locations).where(locations.c.id.in_(list(ids))))
    return {row.id: mappers.location(row) for row in rows}
