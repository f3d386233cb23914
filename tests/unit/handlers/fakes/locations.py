"""Location fakes."""

from __future__ import annotations

from collections.abc import Iterable

from domain.locations.model import CreateLocation, Location


class FakeLocations:
    STATE = ("locations",)

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}

    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]:
        return {c: self.locations[c] for c in codes if c in self.locations}

    async def all(self) -> list[Location]:
        return list(self.locations.values())

    async def add(self, cmd: CreateLocation) -> Location:
        location = Location(
            len(self.locations) + 1,
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
        self.locations[cmd.code] = location
        return location
