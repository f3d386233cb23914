"""What sourcing reads (plain snapshots) and what it decides (a plan)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from domain.locations.model import Location
from domain.orders.errors import insufficient_stock, raise_if
from domain.orders.lifecycle import FulfillmentMethod


@dataclass(frozen=True, slots=True)
class SourcingLine:
    line_id: str
    sku: str
    quantity: int
    method: FulfillmentMethod = FulfillmentMethod.SHIP
    pickup_location_id: int | None = None
    backorderable: bool = True


@dataclass(frozen=True, slots=True)
class IncomingStock:
    """Expected supply, net of what earlier backorders already claimed."""

    sku: str
    location_id: int
    quantity: int
    expected_on: date


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """Stock as sourcing sees it: the channel's locations (already filtered to its inventory
    view), `available` per (SKU, location id) and incoming supply. For placement the handler
    reads it from locked positions, so the plan stays true until commit."""

    locations: Mapping[int, Location]
    available: Mapping[tuple[str, int], int]
    incoming: tuple[IncomingStock, ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlannedFulfillment:
    location_id: int
    location_code: str
    method: FulfillmentMethod
    lines: tuple[PlannedLine, ...]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class BackorderedLine:
    line_id: str
    sku: str
    quantity: int
    expected_on: date


@dataclass(frozen=True, slots=True)
class UnsourceableLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class SourcingPlan:
    fulfillments: tuple[PlannedFulfillment, ...]
    backordered: tuple[BackorderedLine, ...] = ()
    unsourceable: tuple[UnsourceableLine, ...] = ()
    exact: bool = True  # False when the search budget ran out and a greedy cover was used

    @property
    def complete(self) -> bool:
        return not self.unsourceable

    @property
    def shipment_count(self) -> int:
        """Parcels the shopper receives: one per ship-from location, plus one more for
        backordered units (they ship when the supply arrives)."""
        ships = sum(1 for f in self.fulfillments if f.method is FulfillmentMethod.SHIP)
        return ships + (1 if self.backordered else 0)

    def allocations(self) -> dict[tuple[str, int], int]:
        """Units to allocate per (SKU, location id)."""
        result: dict[tuple[str, int], int] = {}
        for fulfillment in self.fulfillments:
            for line in fulfillment.lines:
                key = (line.sku, fulfillment.location_id)
                result[key] = result.get(key, 0) + line.quantity
        return result

    def require_complete(self, line_fields: Mapping[str, Sequence[str]]) -> None:
        """Raise INSUFFICIENT_STOCK for every line that cannot be sourced; `line_fields`
        gives the input path of each line id."""
        raise_if(
            [
                insufficient_stock(
                    line_fields.get(u.line_id, ("lines",)),
                    f"{u.quantity} unit(s) of {u.sku} cannot be sourced.",
                )
                for u in self.unsourceable
            ]
        )
