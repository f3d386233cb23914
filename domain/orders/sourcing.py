"""Sourcing: which locations fulfill which units of an order. Pure; see docs/sourcing.md.

The channel's strategy (FEWEST_SHIPMENTS by default):
1. pickup lines come from their pickup location;
2. ship lines ship complete from one location when one can, otherwise from the fewest
   locations; among those, the nearest to the destination (distance summed in bands of
   `distance_band_km`), then the least loaded (backlog / dailyCapacity);
3. a location at capacity, of an excluded kind, or excluded for this order (it rejected the
   work before) takes nothing new; a SKU with a rule ships only from its listed locations
   (an explicit rule wins over an excluded kind: "SKU X ships only from vendor Y");
4. units no location can send are backordered when the channel and the line allow it and
   incoming supply covers them, else the plan is incomplete.
NEAREST and PRIORITY are the fixed strategies retailers start with, kept for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from domain.locations.model import GeoPoint, Location, distances_to
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.plan import (
    BackorderedLine,
    IncomingStock,
    PlannedFulfillment,
    PlannedLine,
    SourcingLine,
    SourcingPlan,
    StockSnapshot,
    UnsourceableLine,
)
from domain.orders.sourcing_rules import (
    UNKNOWN_DISTANCE_KM,
    SourcingConfig,
    SourcingStrategy,
    can_pickup_at,
    can_ship_from,
    load,
)
from domain.orders.sourcing_search import (
    Allocation,
    Candidate,
    distribute,
    fewest_locations,
    fixed_order,
)


def source(
    lines: Sequence[SourcingLine],
    stock: StockSnapshot,
    config: SourcingConfig,
    destination: GeoPoint | None,
    *,
    exclude_locations: frozenset[int] = frozenset(),
) -> SourcingPlan:
    """Plan the fulfillment of `lines`. An incomplete plan lists what could not be sourced."""
    _check_lines(lines)
    work = _Work(stock, config, exclude_locations)
    pickup = [line for line in lines if line.method is FulfillmentMethod.PICKUP]
    ship = [line for line in lines if line.method is FulfillmentMethod.SHIP]
    pickups = work.source_pickup(pickup)
    shipments, exact = work.source_ship(ship, destination)
    return SourcingPlan(
        fulfillments=(*shipments, *pickups),
        backordered=tuple(work.backordered),
        unsourceable=tuple(work.unsourceable),
        exact=exact,
    )


def _check_lines(lines: Sequence[SourcingLine]) -> None:
    if len({line.line_id for line in lines}) != len(lines):
        raise ValueError("line ids must be unique")
    if any(line.quantity <= 0 for line in lines):
        raise ValueError("quantities must be positive")


@dataclass
class _Work:
    stock: StockSnapshot
    config: SourcingConfig
    exclude: frozenset[int]
    available: dict[tuple[str, int], int] = field(init=False)
    incoming: list[IncomingStock] = field(init=False)
    backordered: list[BackorderedLine] = field(default_factory=list)
    unsourceable: list[UnsourceableLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.available = {k: v for k, v in self.stock.available.items() if v > 0}
        self.incoming = sorted(self.stock.incoming, key=lambda s: (s.expected_on, s.location_id))

    def source_pickup(self, lines: Sequence[SourcingLine]) -> list[PlannedFulfillment]:
        """A pickup line is all there or backordered whole: the shopper collects once."""
        by_location: dict[int, list[PlannedLine]] = {}
        for line in lines:
            pickup_id = line.pickup_location_id
            location = None if pickup_id is None else self.stock.locations.get(pickup_id)
            usable = location is not None and self.config.allows(line.sku, location)
            if location is None or not usable or not can_pickup_at(location, self.exclude):
                self.unsourceable.append(UnsourceableLine(line.line_id, line.sku, line.quantity))
                continue
            key = (line.sku, location.id)
            if self.available.get(key, 0) >= line.quantity:
                self.available[key] -= line.quantity
                by_location.setdefault(location.id, []).append(
                    PlannedLine(line.line_id, line.sku, line.quantity)
                )
            else:
                self._backorder_or_fail(line, line.quantity, frozenset({location.id}))
        return [
            PlannedFulfillment(
                loc_id, self.stock.locations[loc_id].code, FulfillmentMethod.PICKUP, tuple(pl)
            )
            for loc_id, pl in sorted(by_location.items())
        ]

    def source_ship(
        self, lines: Sequence[SourcingLine], destination: GeoPoint | None
    ) -> tuple[list[PlannedFulfillment], bool]:
        candidates = self._candidates(lines, destination)
        todo = self._cover_shortfalls(lines, candidates)
        demand: dict[str, int] = {}
        for line_id, qty in todo.items():
            sku = next(line.sku for line in lines if line.line_id == line_id)
            demand[sku] = demand.get(sku, 0) + qty
        allocation, exact = self._choose(candidates, demand, lines, todo)
        if allocation is None:
            for line in lines:
                if todo.get(line.line_id, 0) > 0:
                    self.unsourceable.append(
                        UnsourceableLine(line.line_id, line.sku, todo[line.line_id])
                    )
            return [], exact
        for loc_id, units in allocation.items():
            for sku, qty in units.items():
                self.available[(sku, loc_id)] -= qty
        order = {c.location_id: c.preference for c in candidates}
        return _to_fulfillments(allocation, lines, todo, order, self.stock.locations), exact

    def _candidates(
        self, lines: Sequence[SourcingLine], destination: GeoPoint | None
    ) -> list[Candidate]:
        """Eligible ship-from locations with what each holds of the cart's SKUs; walks the
        snapshot's positions, not the network, so a big network costs what the cart touches."""
        skus = {line.sku for line in lines}
        locations = self.stock.locations
        allows = self.config.allows
        units: dict[int, dict[str, int]] = {}
        eligible: dict[int, bool] = {}
        for (sku, loc_id), quantity in self.available.items():
            if sku not in skus or quantity <= 0:
                continue
            ships = eligible.get(loc_id)
            if ships is None:
                location = locations.get(loc_id)
                ships = eligible[loc_id] = location is not None and can_ship_from(
                    location, self.exclude
                )
            if ships and allows(sku, locations[loc_id]):
                units.setdefault(loc_id, {})[sku] = quantity
        band = self.config.distance_band_km
        # distance_to(location, destination), the destination's part computed once
        to = distances_to(destination) if destination is not None else None
        result = []
        for loc_id in sorted(units):
            location = locations[loc_id]
            if to is None:
                km = 0.0
            elif location.geo is None:
                km = UNKNOWN_DISTANCE_KM
            else:
                km = to(location.geo)
            banded = int(km // band) if band > 0 else round(km * 1000)
            result.append(Candidate(loc_id, units[loc_id], banded, load(location), km))
        return result

    def _cover_shortfalls(
        self, lines: Sequence[SourcingLine], candidates: Sequence[Candidate]
    ) -> dict[str, int]:
        """Units per line to take from stock now; the rest is backordered or unsourceable,
        latest lines first (the first lines of a cart are what the shopper came for)."""
        todo = {line.line_id: line.quantity for line in lines}
        for sku in dict.fromkeys(line.sku for line in lines):
            of_sku = [line for line in lines if line.sku == sku]
            short = sum(line.quantity for line in of_sku) - sum(
                c.stock.get(sku, 0) for c in candidates
            )
            for line in reversed(of_sku):
                if short <= 0:
                    break
                take = min(short, line.quantity)
                short -= take
                todo[line.line_id] -= take
                allowed = frozenset(
                    loc.id
                    for loc in self.stock.locations.values()
                    if loc.can_ship and loc.id not in self.exclude and self.config.allows(sku, loc)
                )
                self._backorder_or_fail(line, take, allowed)
        return todo

    def _backorder_or_fail(self, line: SourcingLine, quantity: int, where: frozenset[int]) -> None:
        if self.config.allow_backorder and line.backorderable:
            expected = self._claim_incoming(line.sku, quantity, where)
            if expected is not None:
                self.backordered.append(BackorderedLine(line.line_id, line.sku, quantity, expected))
                return
        self.unsourceable.append(UnsourceableLine(line.line_id, line.sku, quantity))

    def _claim_incoming(self, sku: str, quantity: int, where: frozenset[int]) -> date | None:
        """The date by which incoming supply at `where` covers `quantity`, claiming it so two
        backorders of one plan never count the same units."""
        usable = [
            i
            for i, s in enumerate(self.incoming)
            if s.sku == sku and s.location_id in where and s.quantity > 0
        ]
        if sum(self.incoming[i].quantity for i in usable) < quantity:
            return None
        need, expected = quantity, None
        for i in usable:
            supply = self.incoming[i]
            take = min(need, supply.quantity)
            self.incoming[i] = replace(supply, quantity=supply.quantity - take)
            need, expected = need - take, supply.expected_on
            if need == 0:
                break
        return expected

    def _choose(
        self,
        candidates: Sequence[Candidate],
        demand: Mapping[str, int],
        lines: Sequence[SourcingLine],
        todo: Mapping[str, int],
    ) -> tuple[Allocation | None, bool]:
        config = self.config
        if config.strategy is SourcingStrategy.FEWEST_SHIPMENTS:
            found = fewest_locations(candidates, demand, config.max_shipments, config.search_budget)
            if found is None:
                return None, True
            return distribute(candidates, found.locations, demand), found.exact
        if config.strategy is SourcingStrategy.NEAREST:
            ordered = sorted(candidates, key=lambda c: (c.distance_km, c.location_id))
        else:
            rank = {loc_id: i for i, loc_id in enumerate(config.priority)}
            ordered = sorted(
                candidates,
                key=lambda c: (rank.get(c.location_id, len(rank)), c.distance_km, c.location_id),
            )
        wanted = [(line.sku, todo[line.line_id]) for line in lines if todo[line.line_id] > 0]
        return fixed_order(ordered, wanted, config.max_shipments), True


def _to_fulfillments(
    allocation: Allocation,
    lines: Sequence[SourcingLine],
    todo: Mapping[str, int],
    preference: Mapping[int, tuple[int, float, float, int]],
    locations: Mapping[int, Location],
) -> list[PlannedFulfillment]:
    """Hand each location's units per SKU to the cart lines of that SKU, in cart order."""
    per_location: dict[int, list[PlannedLine]] = {}
    for sku in dict.fromkeys(line.sku for line in lines):
        sources = sorted(
            ((loc_id, units[sku]) for loc_id, units in allocation.items() if units.get(sku)),
            key=lambda item: preference[item[0]],
        )
        for line in (ln for ln in lines if ln.sku == sku):
            need = todo[line.line_id]
            while need > 0:
                loc_id, have = sources[0]
                take = min(need, have)
                per_location.setdefault(loc_id, []).append(PlannedLine(line.line_id, sku, take))
                need -= take
                sources[0] = (loc_id, have - take)
                if have == take:
                    sources.pop(0)
    return [
        PlannedFulfillment(
            loc_id, locations[loc_id].code, FulfillmentMethod.SHIP, tuple(per_location[loc_id])
        )
        for loc_id in sorted(per_location, key=lambda loc_id: preference[loc_id])
    ]
