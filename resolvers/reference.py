"""Small, hot, rarely changing data (channels, locations, views) cached per process.

Writes through this process invalidate at once; other workers see a change within
`ttl` seconds. This keeps price and availability lookups free of extra SQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.catalog.model import Channel
from domain.inventory.model import InventoryView
from domain.locations.model import Location
from persistence.database import Database
from persistence.reads.catalog import all_channels
from persistence.reads.inventory import all_views
from persistence.reads.locations import all_locations


@dataclass(frozen=True, slots=True)
class ReferenceData:
    channels_by_code: dict[str, Channel]
    channels_by_id: dict[int, Channel]
    locations_by_id: dict[int, Location]
    locations_by_code: dict[str, Location]
    views_by_channel: dict[int, InventoryView]


class ReferenceCache:
    def __init__(self, db: Database, ttl: float = 2.0) -> None:
        self.db = db
        self.ttl = ttl
        self._data: ReferenceData | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    def on_invalidate(self, callback: Callable[[], None]) -> None:
        """Caches derived from catalog data (e.g. cached responses) drop with this one."""
        self._listeners.append(callback)

    def invalidate(self) -> None:
        """Called after every catalog or configuration write made by this process."""
        self._data = None
        for callback in self._listeners:
            callback()

    async def get(self) -> ReferenceData:
        data = self._data
        if data is not None and time.monotonic() - self._loaded_at < self.ttl:
            return data
        async with self._lock:
            if self._data is not None and time.monotonic() - self._loaded_at < self.ttl:
                return self._data
            async with self.db.read() as conn:
                channels = await all_channels(conn)
                locations = await all_locations(conn)
                views = await all_views(conn)
            self._data = ReferenceData(
                channels_by_code={c.code: c for c in channels},
                channels_by_id={c.id: c for c in channels},
                locations_by_id={loc.id: loc for loc in locations},
                locations_by_code={loc.code: loc for loc in locations},
                views_by_channel=views,
            )
            self._loaded_at = time.monotonic()
            return self._data
