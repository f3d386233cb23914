"""Location types."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.locations import model
from resolvers import ids
from resolvers import locations as r
from schema.common import Address, GeoPoint, Info, LocationKind, Node, PageInfo, UserError
from schema.inputs import LocationInput
from schema.policy import CATALOG, PUBLIC, guard, needs

OPERATIONS = needs("inventory:read", "orders:read", "fulfillment:write")


@guard(
    id=CATALOG,
    code=CATALOG,
    name=CATALOG,
    kind=CATALOG,
    geo=CATALOG,
    canShip=CATALOG,
    canPickup=CATALOG,
    dailyCapacity=OPERATIONS,
    openFulfillments=OPERATIONS,
    address=CATALOG,
    acceptsReturns=CATALOG,
)
@strawberry.type(description="A warehouse, store, 3PL, dropship vendor, dark store or locker.")
class Location(Node):
    code: str
    name: str
    kind: LocationKind  # type: ignore[valid-type]
    geo: GeoPoint | None
    can_ship: bool
    can_pickup: bool
    daily_capacity: int | None = strawberry.field(
        description="Max fulfillments accepted per day; null = unlimited."
    )
    open_fulfillments: int = strawberry.field(description="Current backlog.")
    address: Address | None = strawberry.field(description="Street address, when known.")

    @strawberry.field
    def id(root: strawberry.Parent[model.Location]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("Location", root.id))

    @strawberry.field(description="Returns may be brought or received here (docs/returns.md).")
    def accepts_returns(root: strawberry.Parent[model.Location]) -> bool:  # type: ignore[misc]
        return r.accepts_returns(root)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Location)


@guard(cursor=CATALOG, node=CATALOG)
@strawberry.type
class LocationEdge:
    cursor: str
    node: Location


@guard(edges=CATALOG, pageInfo=CATALOG, totalCount=CATALOG)
@strawberry.type
class LocationConnection:
    edges: list[LocationEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@guard(location=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]


@guard(locations=CATALOG)
@strawberry.type
class LocationsQuery:
    @strawberry.field(description="Locations (a location-bound token sees its own).")
    async def locations(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> LocationConnection:
        return await r.locations(info.context, first, after)  # type: ignore[return-value]


@guard(locationCreate=needs("catalog:write", unbound_only=True))
@strawberry.type
class LocationsMutation:
    @strawberry.mutation
    async def location_create(self, info: Info, input: LocationInput) -> LocationPayload:
        return await r.location_create(info.context, input)  # type: ignore[return-value]
