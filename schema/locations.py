"""Location types."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.locations import model
from resolvers import ids
from schema.common import Address, GeoPoint, LocationKind, Node, PageInfo, UserError


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

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.Location)


@strawberry.type
class LocationEdge:
    cursor: str
    node: Location


@strawberry.type
class LocationConnection:
    edges: list[LocationEdge]
    page_info: PageInfo

    @strawberry.field(description="Counted only when selected.")
    async def total_count(root: strawberry.Parent[Any]) -> int:  # type: ignore[misc]
        return int(await root.count())


@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]
