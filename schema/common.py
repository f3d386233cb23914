"""Conventions shared by every part of the schema."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import strawberry

from domain import errors as domain_errors
from domain.locations.model import LocationKind as DomainLocationKind
from resolvers.context import Context
from schema.policy import PUBLIC, guard

Info: TypeAlias = strawberry.Info[Context, None]

ErrorCode = strawberry.enum(domain_errors.ErrorCode, name="ErrorCode")
LocationKind = strawberry.enum(DomainLocationKind, name="LocationKind")


# Node.id is public: `node(id:)` returns null unless the token may read the concrete type
# (its `Type.id` policy) and see that row, so the interface field reveals nothing.
@guard(id=PUBLIC)
@strawberry.interface(description="An object with an opaque, stable global ID.")
class Node:
    id: strawberry.ID


@guard(hasNextPage=PUBLIC, hasPreviousPage=PUBLIC, startCursor=PUBLIC, endCursor=PUBLIC)
@strawberry.type(description="Relay pagination details.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@guard(field=PUBLIC, code=PUBLIC, message=PUBLIC)
@strawberry.type(description="A problem with the input: where (`field` path), what (`code`), why.")
class UserError:
    field: list[str] | None
    code: ErrorCode  # type: ignore[valid-type]
    message: str


@guard(amount=PUBLIC, currency=PUBLIC)
@strawberry.type(description="An amount in a currency, rounded half-even to its minor unit.")
class Money:
    amount: Decimal
    currency: str


@guard(latitude=PUBLIC, longitude=PUBLIC)
@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.input
class AddressInput:
    line1: str
    city: str
    postal_code: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None
    geo: GeoPointInput | None = None


@guard(
    line1=PUBLIC,
    city=PUBLIC,
    postalCode=PUBLIC,
    country=PUBLIC,
    name=PUBLIC,
    line2=PUBLIC,
    region=PUBLIC,
    phone=PUBLIC,
    geo=PUBLIC,
)
@strawberry.type
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None
    geo: GeoPoint | None = None
