"""Location resolvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import DomainError
from domain.locations import handlers
from domain.locations.model import Address, CreateLocation, GeoPoint, Location, LocationKind
from domain.returns.wiring import return_location
from persistence.reads import locations as reads
from resolvers.context import Context
from resolvers.errors import checked_cursor
from resolvers.ids import cursor
from resolvers.pagination import Connection, connection, page_size
from resolvers.results import Result

if TYPE_CHECKING:
    from schema.common import AddressInput, GeoPointInput
    from schema.inputs import LocationInput


async def locations(ctx: Context, first: int | None, after: str | None) -> Connection[Location]:
    after_key = checked_cursor(after)
    limit = page_size(first, 50)
    only = ctx.actor.location  # a location-bound token sees its own location
    async with ctx.db.read() as conn:
        rows = await reads.location_page(conn, after_key[0] if after_key else None, limit + 1, only)

    async def count() -> int:
        async with ctx.db.read() as conn:
            return await reads.location_count(conn, only)

    return connection(rows, limit, lambda loc: cursor(loc.id), after_key is not None, count)


def _geo(data: GeoPointInput | None) -> GeoPoint | None:
    return GeoPoint(data.latitude, data.longitude) if data is not None else None


def address_input(data: AddressInput | None) -> Address | None:
    """An AddressInput as the domain's Address."""
    return _address(data)


def geo_input(data: GeoPointInput | None) -> GeoPoint | None:
    return _geo(data)


def _address(data: AddressInput | None) -> Address | None:
    if data is None:
        return None
    return Address(
        line1=data.line1,
        city=data.city,
        postal_code=data.postal_code,
        country=data.country,
        name=data.name,
        line2=data.line2,
        region=data.region,
        phone=data.phone,
        geo=_geo(data.geo),
    )


async def location_create(ctx: Context, data: LocationInput) -> Result[Location]:
    cmd = CreateLocation(
        code=data.code,
        name=data.name,
        kind=LocationKind(data.kind.value),  # type: ignore[attr-defined]
        can_ship=data.can_ship,
        can_pickup=data.can_pickup,
        geo=_geo(data.geo),
        daily_capacity=data.daily_capacity,
        address=_address(data.address),
        accepts_returns=data.accepts_returns,
    )
    try:
        location = await handlers.create_location(cmd, ctx.uow())
    except DomainError as error:
        return Result.failed(error)
    ctx.reference.invalidate()
    return Result(location)


def accepts_returns(location: Location) -> bool:
    found = return_location(location)
    return found is not None and found.accepts_returns
