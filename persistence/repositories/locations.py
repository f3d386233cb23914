"""Location writes and lookups."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.locations.model import CreateLocation, Location
from persistence import mappers
from persistence.clock import utcnow
from persistence.tables import locations


class SqlLocationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]:
        wanted = list(set(codes))
        if not wanted:
            return {}
        rows = await self.conn.execute(select(locations).where(locations.c.code.in_(wanted)))
        return {row.code: mappers.location(row) for row in rows}

    async def all(self) -> list[Location]:
        rows = await self.conn.execute(select(locations).order_by(locations.c.id))
        return [mappers.location(row) for row in rows]

    async def add(self, cmd: CreateLocation) -> Location:
        address = dataclasses.asdict(cmd.address) if cmd.address else None
        location_id = (
            await self.conn.execute(
                insert(locations)
                .values(
                    code=cmd.code,
                    name=cmd.name,
                    kind=cmd.kind.value,
                    latitude=cmd.geo.latitude if cmd.geo else None,
                    longitude=cmd.geo.longitude if cmd.geo else None,
                    can_ship=cmd.can_ship,
                    can_pickup=cmd.can_pickup,
                    daily_capacity=cmd.daily_capacity,
                    open_fulfillments=0,
                    address=address,
                    accepts_returns=cmd.accepts_returns,
                    created_at=utcnow(),
                )
                .returning(locations.c.id)
            )
        ).scalar_one()
        return Location(
            location_id,
            cmd.code,
            cmd.name,
            cmd.kind,
            cmd.geo,
            cmd.can_ship,
            cmd.can_pickup,
            cmd.daily_capacity,
            0,
            cmd.address,
            cmd.accepts_returns,
        )
