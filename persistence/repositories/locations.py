"""Location writes and lookups.

`all()` is read by every checkout, hold and stock change (sourcing, channel ATP), and a
network has hundreds of locations: mapping them all per use case was a tenth of a
checkout's CPU. Locations are insert-only (nothing updates or deletes a row), so the
process keeps the mapped list and checks it with `count(*)`, `max(id)` and
`max(created_at)` in one tiny statement: any new location, from any process, is seen at
once, and so is a table emptied and filled again (tests do; ids may restart). A row changed outside
the application (an operator's SQL) is seen within the cache's TTL (persistence/database.py).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.locations.model import CreateLocation, Location
from persistence import direct, mappers
from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import locations

_VERSION = select(func.count(), func.max(locations.c.id), func.max(locations.c.created_at))
# The version as columns another statement can carry (stock.view sends it with the view).
VERSION_COLUMNS = select(
    func.count().label("locations_count"),
    func.max(locations.c.id).label("locations_last_id"),
    func.max(locations.c.created_at).label("locations_created_at"),
).subquery("locations_version")
_ALL = select(locations).order_by(locations.c.id)


class SqlLocationRepository:
    def __init__(self, conn: AsyncConnection, db: Database | None = None) -> None:
        self.conn = conn
        self.db = db
        self._version: tuple[int, int, object] | None = None

    def version_read(self, count: int, last_id: int | None, created: object) -> None:
        """The version another statement of this unit of work just read (`VERSION_COLUMNS`):
        the next `all()` checks its cache against it instead of reading it again."""
        self._version = (int(count), int(last_id or 0), created)

    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]:
        wanted = list(set(codes))
        if not wanted:
            return {}
        rows = await self.conn.execute(select(locations).where(locations.c.code.in_(wanted)))
        return {row.code: mappers.location(row) for row in rows}

    async def all(self) -> list[Location]:
        cache = self.db.locations if self.db is not None else None
        if cache is None:
            return [mappers.location(row) for row in await self.conn.execute(_ALL)]
        version, self._version = self._version, None
        if version is None:
            count, last, created = (await direct.rows(self.conn, _VERSION))[0]
            version = (int(count), int(last or 0), created)
        kept = cache.get(version, time.monotonic())
        if kept is not None:
            return list(kept)
        found = tuple(mappers.location(row) for row in await self.conn.execute(_ALL))
        # Kept under the version read before the rows: a location added in between makes
        # the next read reload, never the reverse.
        cache.put(version, found, time.monotonic())
        return list(found)

    async def add(self, cmd: CreateLocation) -> Location:
        self._version = None  # read before this one
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
