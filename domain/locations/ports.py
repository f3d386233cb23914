"""What location use cases need from persistence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from domain.locations.model import CreateLocation, Location


class LocationRepository(Protocol):
    async def by_codes(self, codes: Iterable[str]) -> dict[str, Location]: ...
    async def all(self) -> list[Location]: ...
    async def add(self, cmd: CreateLocation) -> Location: ...


class LocationPorts(Protocol):
    """The locations' part of the unit of work."""

    @property
    def locations(self) -> LocationRepository: ...
