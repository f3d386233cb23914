"""Locations: warehouses, stores, vendors; their capabilities and distances."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from domain.errors import FieldError, invalid
from domain.validation import NAME_LENGTH, quantity, text

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
EARTH_RADIUS_KM = 6371.0088


class LocationKind(Enum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    THIRD_PARTY_LOGISTICS = "THIRD_PARTY_LOGISTICS"
    DROPSHIP_VENDOR = "DROPSHIP_VENDOR"
    DARK_STORE = "DARK_STORE"
    LOCKER = "LOCKER"


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Location:
    id: int
    code: str
    name: str
    kind: LocationKind
    geo: GeoPoint | None
    can_ship: bool
    can_pickup: bool
    daily_capacity: int | None
    open_fulfillments: int
    address: Address | None = None
    # None: the default for its kind (domain/returns/model.py `accepts_returns_by_default`).
    accepts_returns: bool | None = None


@dataclass(frozen=True, slots=True)
class CreateLocation:
    """Command: register a fulfillment location."""

    code: str
    name: str
    kind: LocationKind
    can_ship: bool
    can_pickup: bool
    geo: GeoPoint | None = None
    daily_capacity: int | None = None
    address: Address | None = None
    accepts_returns: bool | None = None  # None: the default for its kind


def validate_geo(geo: GeoPoint, path: tuple[str, ...]) -> list[FieldError]:
    errors = []
    if not -90.0 <= geo.latitude <= 90.0 or math.isnan(geo.latitude):
        errors.append(invalid((*path, "latitude"), "Latitude must be between -90 and 90."))
    if not -180.0 <= geo.longitude <= 180.0 or math.isnan(geo.longitude):
        errors.append(invalid((*path, "longitude"), "Longitude must be between -180 and 180."))
    return errors


def validate_location(cmd: CreateLocation, base: tuple[str, ...] = ("input",)) -> list[FieldError]:
    errors: list[FieldError] = []
    if not CODE_PATTERN.fullmatch(cmd.code):
        errors.append(invalid((*base, "code"), "Code must be 1-64 letters, digits or _.:-"))
    errors += text(cmd.name, (*base, "name"), NAME_LENGTH, label="Name")
    errors += quantity(cmd.daily_capacity, (*base, "dailyCapacity"), label="Daily capacity")
    if cmd.geo is not None:
        errors.extend(validate_geo(cmd.geo, (*base, "geo")))
    if cmd.address is not None:
        for name, required in ADDRESS_FIELDS:
            camel = "postalCode" if name == "postal_code" else name
            value = getattr(cmd.address, name)
            errors += text(value, (*base, "address", camel), NAME_LENGTH, required=required)
        if cmd.address.geo is not None:
            errors.extend(validate_geo(cmd.address.geo, (*base, "address", "geo")))
    return errors


# (field, required) of an address; each at most NAME_LENGTH characters.
ADDRESS_FIELDS = (
    ("line1", True),
    ("city", True),
    ("postal_code", True),
    ("country", True),
    ("name", False),
    ("line2", False),
    ("region", False),
    ("phone", False),
)


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def distances_to(b: GeoPoint) -> Callable[[GeoPoint], float]:
    """`lambda a: distance_km(a, b)` for many `a` (sourcing measures every candidate
    location to one destination): `b`'s share of the formula computed once, the same
    operations in the same order, so the same floats."""
    lat2, lon2 = math.radians(b.latitude), math.radians(b.longitude)
    cos2 = math.cos(lat2)
    sin, cos, radians = math.sin, math.cos, math.radians

    def to(a: GeoPoint) -> float:
        lat1, lon1 = radians(a.latitude), radians(a.longitude)
        h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos2 * sin((lon2 - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))

    return to
