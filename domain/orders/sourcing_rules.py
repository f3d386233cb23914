"""A channel's sourcing policy and the location rules every strategy obeys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from domain.locations.model import GeoPoint, Location, LocationKind, distance_km

# Farther than any two points on Earth: a location without coordinates sorts last.
UNKNOWN_DISTANCE_KM = 20_100.0


class SourcingStrategy(Enum):
    FEWEST_SHIPMENTS = "FEWEST_SHIPMENTS"
    NEAREST = "NEAREST"
    PRIORITY = "PRIORITY"


@dataclass(frozen=True, slots=True)
class SkuRule:
    sku: str
    location_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class SourcingConfig:
    """A channel's sourcing policy."""

    strategy: SourcingStrategy = SourcingStrategy.FEWEST_SHIPMENTS
    priority: tuple[int, ...] = ()  # location ids, for PRIORITY
    max_shipments: int | None = None  # 1 = ship complete or not at all
    allow_backorder: bool = False
    excluded_kinds: frozenset[LocationKind] = frozenset()
    sku_rules: tuple[SkuRule, ...] = ()
    distance_band_km: float = 10.0
    search_budget: int = 20_000

    def allows(self, sku: str, location: Location) -> bool:
        for rule in self.sku_rules:
            if rule.sku == sku:
                return location.id in rule.location_ids
        return location.kind not in self.excluded_kinds


def at_capacity(location: Location) -> bool:
    cap = location.daily_capacity
    return cap is not None and location.open_fulfillments >= cap


def load(location: Location) -> float:
    cap = location.daily_capacity
    return location.open_fulfillments / cap if cap else 0.0


def distance_to(location: Location, destination: GeoPoint | None) -> float:
    if destination is None:
        return 0.0
    if location.geo is None:
        return UNKNOWN_DISTANCE_KM
    return distance_km(location.geo, destination)


def can_ship_from(location: Location, exclude: frozenset[int]) -> bool:
    return location.can_ship and not at_capacity(location) and location.id not in exclude


def can_pickup_at(location: Location, exclude: frozenset[int]) -> bool:
    return location.can_pickup and not at_capacity(location) and location.id not in exclude
