"""Location use cases."""

from __future__ import annotations

from domain.errors import DomainError, duplicate
from domain.locations.model import CreateLocation, Location, validate_location
from domain.ports import UnitOfWork


async def create_location(cmd: CreateLocation, uow: UnitOfWork) -> Location:
    """Register a location; its code is unique."""
    errors = validate_location(cmd)
    if errors:
        raise DomainError(errors)
    async with uow:
        if await uow.locations.by_codes([cmd.code]):
            raise DomainError([duplicate(("input", "code"), f"Location {cmd.code!r} exists.")])
        location = await uow.locations.add(cmd)
        await uow.commit()
    return location
