"""Sourcing: property tests against a brute-force oracle written from CONTRACT.md, plus the
cases docs/sourcing.md tells about."""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.locations.model import GeoPoint, Location, LocationKind, distance_km
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.plan import IncomingStock, SourcingLine, SourcingPlan, StockSnapshot
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SkuRule, SourcingConfig, SourcingStrategy

SHIP, PICKUP = FulfillmentMethod.SHIP, FulfillmentMethod.PICKUP
SKUS = ["A", "B", "C"]
KINDS = [LocationKind.WAREHOUSE, LocationKind.STORE, LocationKind.DROPSHIP_VENDOR]
PARIS = GeoPoint(48.8566, 2.3522)


def loc(
    i: int,
    geo: GeoPoint | None,
    kind: LocationKind = LocationKind.WAREHOUSE,
    *,
    ship: bool = True,
    pickup: bool = False,
    capacity: int | None = None,
    backlog: int = 0,
) -> Location:
    return Location(i, f"L{i}", f"Location {i}", kind, geo, ship, pickup, capacity, backlog)


GEO = st.none() | st.builds(GeoPoint, st.floats(45.0, 50.0), st.floats(-1.0, 7.0))
LOCATION_SPEC = st.tuples(
    GEO,
    st.sampled_from(KINDS),
    st.booleans() | st.just(True),
    st.booleans(),
    st.none() | st.integers(0, 3),
    st.integers(0, 3),
)
STOCK = st.lists(st.none() | st.integers(0, 6), min_size=15, max_size=15)
SUPPLY = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 5), st.integers(1, 6), st.integers(1, 28)),
    max_size=3,
)
LINE_SPEC = st.tuples(
    st.sampled_from(SKUS), st.integers(1, 8), st.booleans(), st.integers(1, 5), st.booleans()
)
CONFIG_SPEC = st.tuples(
    st.none() | st.integers(1, 3),
    st.booleans(),
    st.frozensets(st.sampled_from(KINDS), max_size=1),
    st.none() | st.tuples(st.sampled_from(SKUS), st.frozensets(st.integers(1, 5), max_size=2)),
    st.sampled_from([0.0, 10.0, 100.0]),
)


Scenario = tuple[list[SourcingLine], StockSnapshot, SourcingConfig, GeoPoint]


@st.composite
def scenarios(draw: st.DrawFn, *, pickup: bool = True) -> Scenario:
    specs = draw(st.lists(LOCATION_SPEC, min_size=1, max_size=5))
    locations = {
        i: loc(i, geo, kind, ship=ship, pickup=pick, capacity=cap, backlog=backlog)
        for i, (geo, kind, ship, pick, cap, backlog) in enumerate(specs, start=1)
    }
    count = len(locations)
    units = draw(STOCK)
    available = {
        (sku, i): qty
        for n, sku in enumerate(SKUS)
        for i in locations
        if (qty := units[n * 5 + i - 1]) is not None
    }
    incoming = tuple(
        IncomingStock(sku, (i - 1) % count + 1, qty, date(2030, 1, day))
        for sku, i, qty, day in draw(SUPPLY)
    )
    lines = [
        SourcingLine(
            f"l{n}",
            sku,
            qty,
            PICKUP if pickup and pick else SHIP,
            (where - 1) % count + 1 if pickup and pick else None,
            backorderable,
        )
        for n, (sku, qty, pick, where, backorderable) in enumerate(
            draw(st.lists(LINE_SPEC, min_size=1, max_size=4))
        )
    ]
    max_shipments, backorder, kinds, rule, band_km = draw(CONFIG_SPEC)
    config = SourcingConfig(
        max_shipments=max_shipments,
        allow_backorder=backorder,
        excluded_kinds=kinds,
        sku_rules=() if rule is None else (SkuRule(rule[0], rule[1]),),
        distance_band_km=band_km,
    )
    return lines, StockSnapshot(locations, available, incoming), config, PARIS


# --- the oracle: the contract's rules, written out independently of domain/orders/sourcing


def allowed(config: SourcingConfig, sku: str, location: Location) -> bool:
    rule = next((r for r in config.sku_rules if r.sku == sku), None)
    if rule is not None:
        return location.id in rule.location_ids
    return location.kind not in config.excluded_kinds


def full(location: Location) -> bool:
    cap = location.daily_capacity
    return cap is not None and location.open_fulfillments >= cap


def ship_stock(
    plan: SourcingPlan, stock: StockSnapshot, config: SourcingConfig, exclude: frozenset[int]
) -> dict[int, dict[str, int]]:
    """What each eligible location can still ship once the plan's pickups are taken."""
    taken = {
        (line.sku, f.location_id): line.quantity
        for f in plan.fulfillments
        if f.method is PICKUP
        for line in f.lines
    }
    result: dict[int, dict[str, int]] = {}
    for location in stock.locations.values():
        if not location.can_ship or full(location) or location.id in exclude:
            continue
        result[location.id] = {
            sku: stock.available.get((sku, location.id), 0) - taken.get((sku, location.id), 0)
            for sku in SKUS
            if allowed(config, sku, location)
        }
    return result


def ship_demand(plan: SourcingPlan) -> dict[str, int]:
    demand: dict[str, int] = {}
    for f in plan.fulfillments:
        if f.method is SHIP:
            for line in f.lines:
                demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    return demand


def covers(stock: dict[int, dict[str, int]], ids: tuple[int, ...], demand: dict[str, int]) -> bool:
    return all(sum(stock[i].get(sku, 0) for i in ids) >= qty for sku, qty in demand.items())


def band(location: Location, config: SourcingConfig) -> int:
    km = 20_100.0 if location.geo is None else distance_km(location.geo, PARIS)
    width = config.distance_band_km
    return int(km // width) if width > 0 else round(km * 1000)


def brute_force(stock: dict[int, dict[str, int]], demand: dict[str, int]) -> list[tuple[int, ...]]:
    """Every smallest set of locations covering the demand."""
    for size in range(0, len(stock) + 1):
        found = [ids for ids in itertools.combinations(stock, size) if covers(stock, ids, demand)]
        if found:
            return found
    return []


# --- properties


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_plan_never_oversells_accounts_for_every_unit_and_obeys_the_rules(
    scenario: Scenario,
) -> None:
    # given a cart and the stock of a small network; when it is sourced
    lines, stock, config, destination = scenario
    plan = source(lines, stock, config, destination)
    # then no position gives more than it has
    for (sku, location_id), units in plan.allocations().items():
        assert units <= stock.available.get((sku, location_id), 0)
    # and every unit of every line is allocated, backordered or reported unsourceable
    for line in lines:
        allocated = sum(
            pl.quantity for f in plan.fulfillments for pl in f.lines if pl.line_id == line.line_id
        )
        backordered = sum(b.quantity for b in plan.backordered if b.line_id == line.line_id)
        missing = sum(u.quantity for u in plan.unsourceable if u.line_id == line.line_id)
        assert allocated + backordered + missing == line.quantity
    assert plan.complete == (not plan.unsourceable)
    # and there is one fulfillment per location and method
    keys = [(f.location_id, f.method) for f in plan.fulfillments]
    assert len(keys) == len(set(keys))
    # and no location at capacity, of an excluded kind or against a SKU rule is used;
    # pickup lines come from their own pickup location
    by_id = {line.line_id: line for line in lines}
    for f in plan.fulfillments:
        location = stock.locations[f.location_id]
        assert not full(location), "a location at capacity takes nothing new"
        for pl in f.lines:
            assert allowed(config, pl.sku, location)
            if f.method is PICKUP:
                assert by_id[pl.line_id].pickup_location_id == f.location_id
                assert location.can_pickup
            else:
                assert by_id[pl.line_id].method is SHIP
                assert location.can_ship
    for b in plan.backordered:
        assert config.allow_backorder
        assert by_id[b.line_id].backorderable


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_plan_is_minimal_in_shipments_then_nearest(scenario: Scenario) -> None:
    # given any cart; when sourced; then no smaller set of locations could ship what the plan
    # ships, and no set of that size is nearer (checked against brute force)
    lines, stock, config, destination = scenario
    plan = source(lines, stock, config, destination)
    eligible = ship_stock(plan, stock, config, frozenset())
    demand = ship_demand(plan)
    smallest = brute_force(eligible, demand)
    used = [f.location_id for f in plan.fulfillments if f.method is SHIP]
    assert plan.exact
    assert len(used) == len(smallest[0])
    best = min(sum(band(stock.locations[i], config) for i in ids) for ids in smallest)
    assert sum(band(stock.locations[i], config) for i in used) == best


@settings(max_examples=150, deadline=None)
@given(scenarios(pickup=False))
def test_ship_complete_whenever_one_location_can(scenario: Scenario) -> None:
    lines, stock, config, destination = scenario
    demand: dict[str, int] = {}
    for line in lines:
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    eligible = ship_stock(SourcingPlan(()), stock, config, frozenset())
    one = [i for i in eligible if covers(eligible, (i,), demand)]
    plan = source(lines, stock, config, destination)
    if one:
        assert plan.complete
        assert not plan.backordered
        assert len(plan.fulfillments) == 1
        assert plan.fulfillments[0].location_id in one


@settings(max_examples=120, deadline=None)
@given(scenarios(pickup=False))
def test_only_real_shortfalls_are_backordered(scenario: Scenario) -> None:
    # given a channel without a cap on shipments; then a SKU is short only by what the
    # eligible locations lack, and backorders never exceed the incoming supply
    lines, stock, config, destination = scenario
    config = SourcingConfig(
        allow_backorder=config.allow_backorder,
        excluded_kinds=config.excluded_kinds,
        sku_rules=config.sku_rules,
    )
    plan = source(lines, stock, config, destination)
    eligible = ship_stock(SourcingPlan(()), stock, config, frozenset())
    for sku in SKUS:
        wanted = sum(line.quantity for line in lines if line.sku == sku)
        have = sum(units.get(sku, 0) for units in eligible.values())
        short = sum(b.quantity for b in plan.backordered if b.sku == sku) + sum(
            u.quantity for u in plan.unsourceable if u.sku == sku
        )
        assert short == max(0, wanted - have)
        incoming = sum(s.quantity for s in stock.incoming if s.sku == sku)
        assert sum(b.quantity for b in plan.backordered if b.sku == sku) <= incoming


@settings(max_examples=120, deadline=None)
@given(
    scenarios(pickup=False), st.sampled_from([SourcingStrategy.NEAREST, SourcingStrategy.PRIORITY])
)
def test_fixed_strategies_never_use_fewer_shipments(
    scenario: Scenario, strategy: SourcingStrategy
) -> None:
    lines, stock, config, destination = scenario
    config = SourcingConfig(excluded_kinds=config.excluded_kinds, sku_rules=config.sku_rules)
    ours = source(lines, stock, config, destination)
    fixed = source(
        lines,
        stock,
        SourcingConfig(
            strategy=strategy,
            priority=tuple(sorted(stock.locations, reverse=True)),
            excluded_kinds=config.excluded_kinds,
            sku_rules=config.sku_rules,
        ),
        destination,
    )
    assert ours.complete == fixed.complete
    assert ours.shipment_count <= fixed.shipment_count


@settings(max_examples=120, deadline=None)
@given(scenarios(), st.integers(1, 5))
def test_resourcing_after_a_reject_never_returns_to_the_rejecting_location(
    scenario: Scenario, rejecting: int
) -> None:
    lines, stock, config, destination = scenario
    plan = source(lines, stock, config, destination, exclude_locations=frozenset({rejecting}))
    assert rejecting not in {f.location_id for f in plan.fulfillments}


# --- the cases docs/sourcing.md tells about

STORE_PARIS = loc(1, GeoPoint(48.87, 2.33), LocationKind.STORE)  # 2 km from the shopper
WAREHOUSE_LILLE = loc(2, GeoPoint(50.63, 3.06))  # 200 km
WAREHOUSE_LYON = loc(3, GeoPoint(45.76, 4.84))  # 390 km


def network(*locations: Location) -> dict[int, Location]:
    return {location.id: location for location in locations}


def test_a_two_line_cart_ships_in_one_parcel_where_nearest_needs_two() -> None:
    # given a shopper in Paris ordering a jacket (A) and boots (B); the Paris store has the
    # jacket; the Lyon warehouse has both
    stock = StockSnapshot(
        network(STORE_PARIS, WAREHOUSE_LILLE, WAREHOUSE_LYON),
        {("A", 1): 5, ("A", 3): 5, ("B", 3): 5},
    )
    lines = [SourcingLine("1", "A", 1), SourcingLine("2", "B", 1)]
    # when sourced nearest-first, by a priority list, and by the channel's strategy
    nearest = source(lines, stock, SourcingConfig(strategy=SourcingStrategy.NEAREST), PARIS)
    priority = source(
        lines, stock, SourcingConfig(strategy=SourcingStrategy.PRIORITY, priority=(1, 2, 3)), PARIS
    )
    ours = source(lines, stock, SourcingConfig(), PARIS)
    # then the fixed strategies send two parcels (jacket from Paris, boots from Lyon)
    assert [f.location_code for f in nearest.fulfillments] == ["L1", "L3"]
    assert [f.location_code for f in priority.fulfillments] == ["L1", "L3"]
    # and ours sends one parcel from Lyon
    assert [f.location_code for f in ours.fulfillments] == ["L3"]
    assert ours.shipment_count == 1
    assert nearest.shipment_count == 2


def test_two_locations_needed_the_nearest_pair_wins() -> None:
    # given A only in Paris and Lille, B only in Lyon
    stock = StockSnapshot(
        network(STORE_PARIS, WAREHOUSE_LILLE, WAREHOUSE_LYON),
        {("A", 1): 1, ("A", 2): 1, ("B", 3): 1},
    )
    plan = source(
        [SourcingLine("1", "A", 1), SourcingLine("2", "B", 1)], stock, SourcingConfig(), PARIS
    )
    assert sorted(f.location_code for f in plan.fulfillments) == ["L1", "L3"]


def test_equal_distance_goes_to_the_less_loaded_location() -> None:
    # given two warehouses in the same 10 km band, one at 4 of 5 daily fulfillments, one at 1
    busy = loc(1, GeoPoint(48.86, 2.35), capacity=5, backlog=4)
    quiet = loc(2, GeoPoint(48.87, 2.36), capacity=5, backlog=1)
    stock = StockSnapshot(network(busy, quiet), {("A", 1): 3, ("A", 2): 3})
    plan = source([SourcingLine("1", "A", 2)], stock, SourcingConfig(), PARIS)
    assert [f.location_id for f in plan.fulfillments] == [2]


def test_a_location_at_capacity_takes_nothing_new() -> None:
    full_store = loc(1, GeoPoint(48.86, 2.35), capacity=3, backlog=3)
    far = loc(2, GeoPoint(45.76, 4.84))
    stock = StockSnapshot(network(full_store, far), {("A", 1): 9, ("A", 2): 1})
    plan = source([SourcingLine("1", "A", 1)], stock, SourcingConfig(), PARIS)
    assert [f.location_id for f in plan.fulfillments] == [2]


def test_a_sku_rule_sends_a_vendor_sku_from_its_vendor_only() -> None:
    # given dropship vendors excluded for the channel, but SKU V ships only from vendor 9
    vendor = loc(9, GeoPoint(45.0, 5.0), LocationKind.DROPSHIP_VENDOR)
    other_vendor = loc(8, GeoPoint(48.85, 2.35), LocationKind.DROPSHIP_VENDOR)
    stock = StockSnapshot(
        network(STORE_PARIS, vendor, other_vendor),
        {("V", 1): 5, ("V", 9): 5, ("V", 8): 5, ("A", 8): 5, ("A", 1): 5},
    )
    config = SourcingConfig(
        excluded_kinds=frozenset({LocationKind.DROPSHIP_VENDOR}),
        sku_rules=(SkuRule("V", frozenset({9})),),
    )
    plan = source([SourcingLine("1", "V", 1), SourcingLine("2", "A", 1)], stock, config, PARIS)
    assert {(f.location_id, pl.sku) for f in plan.fulfillments for pl in f.lines} == {
        (9, "V"),
        (1, "A"),
    }


def test_a_short_line_ships_what_there_is_and_backorders_the_rest() -> None:
    stock = StockSnapshot(
        network(WAREHOUSE_LYON),
        {("A", 3): 2},
        (IncomingStock("A", 3, 1, date(2030, 5, 1)), IncomingStock("A", 3, 5, date(2030, 6, 1))),
    )
    plan = source([SourcingLine("1", "A", 5)], stock, SourcingConfig(allow_backorder=True), PARIS)
    assert plan.complete
    assert [(pl.quantity) for f in plan.fulfillments for pl in f.lines] == [2]
    assert [(b.quantity, b.expected_on) for b in plan.backordered] == [(3, date(2030, 6, 1))]
    assert plan.shipment_count == 2


def test_without_backorders_a_short_line_makes_the_plan_incomplete() -> None:
    stock = StockSnapshot(
        network(WAREHOUSE_LYON), {("A", 3): 2}, (IncomingStock("A", 3, 9, date(2030, 5, 1)),)
    )
    plan = source([SourcingLine("1", "A", 5)], stock, SourcingConfig(), PARIS)
    assert not plan.complete
    assert [(u.line_id, u.quantity) for u in plan.unsourceable] == [("1", 3)]


def test_ship_complete_only_channel_refuses_a_split() -> None:
    stock = StockSnapshot(network(STORE_PARIS, WAREHOUSE_LYON), {("A", 1): 1, ("B", 3): 1})
    lines = [SourcingLine("1", "A", 1), SourcingLine("2", "B", 1)]
    plan = source(lines, stock, SourcingConfig(max_shipments=1), PARIS)
    assert not plan.complete
    assert not plan.fulfillments


def test_pickup_line_comes_from_its_store_and_ship_lines_use_what_is_left() -> None:
    store = loc(1, GeoPoint(48.87, 2.33), LocationKind.STORE, pickup=True)
    stock = StockSnapshot(network(store, WAREHOUSE_LYON), {("A", 1): 1, ("A", 3): 4})
    lines = [SourcingLine("1", "A", 1, PICKUP, 1), SourcingLine("2", "A", 1)]
    plan = source(lines, stock, SourcingConfig(), PARIS)
    assert {(f.location_id, f.method) for f in plan.fulfillments} == {(1, PICKUP), (3, SHIP)}


def test_a_big_network_is_still_sourced_exactly() -> None:
    # given 120 locations, each holding one of three SKUs; then the plan takes 3 locations
    # (no one holds two) and the search stays within its budget
    locations = {i: loc(i, GeoPoint(44.0 + (i % 12) * 0.5, (i // 12) * 0.7)) for i in range(1, 121)}
    available = {(SKUS[i % 3], i): 2 for i in locations}
    lines = [SourcingLine(str(n), sku, 3) for n, sku in enumerate(SKUS)]
    plan = source(lines, StockSnapshot(locations, available), SourcingConfig(), PARIS)
    assert plan.complete
    assert plan.exact
    assert plan.shipment_count == 6
    assert sum(f.units for f in plan.fulfillments) == 9
