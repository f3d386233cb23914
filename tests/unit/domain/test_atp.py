"""The contract's inventory formulas, and the incremental feed agreeing with a full recompute."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.inventory.feed import PositionChange, atp_deltas, channel_sums, kit_value
from domain.inventory.model import (
    InventoryView,
    PositionQuantities,
    SkuAtp,
    kit_atp,
    position_available,
    sku_atp,
)
from domain.locations.model import Location, LocationKind

KINDS = list(LocationKind)


def location(i: int, kind: LocationKind, ship: bool, pickup: bool) -> Location:
    return Location(i, f"L{i}", f"L{i}", kind, None, ship, pickup, None, 0)


locations_strategy = st.lists(
    st.tuples(st.sampled_from(KINDS), st.booleans(), st.booleans()), min_size=1, max_size=8
).map(lambda specs: {i: location(i, *spec) for i, spec in enumerate(specs, start=1)})


@st.composite
def scenario(draw: st.DrawFn) -> tuple[dict[int, Location], InventoryView, dict[int, int]]:
    locations = draw(locations_strategy)
    ids = sorted(locations)
    counted = draw(st.lists(st.sampled_from(ids), unique=True))
    view = InventoryView(
        id=1,
        channel_id=1,
        code="v",
        location_ids=tuple(counted),
        safety_buffer=draw(st.integers(0, 20)),
        safety_buffer_percent=draw(st.integers(0, 100)),
        max_available=draw(st.none() | st.integers(0, 500)),
        excluded_skus=frozenset(draw(st.sets(st.sampled_from(["A", "B"])))),
        excluded_location_kinds=frozenset(draw(st.sets(st.sampled_from(KINDS), max_size=2))),
    )
    available = {i: draw(st.integers(0, 300)) for i in ids}
    return locations, view, available


def contract_atp(
    sku: str, available: dict[int, int], locations: dict[int, Location], view: InventoryView
) -> tuple[int, int, int]:
    """CONTRACT.md, written out independently of the implementation."""
    if sku in view.excluded_skus:
        return 0, 0, 0
    total = ship = pickup = 0
    for loc_id in view.location_ids:
        loc = locations[loc_id]
        if loc.kind in view.excluded_location_kinds:
            continue
        a = available.get(loc_id, 0)
        part = max(0, a - view.safety_buffer - math.ceil(a * view.safety_buffer_percent / 100))
        total += part
        ship += part if loc.can_ship else 0
        pickup += part if loc.can_pickup else 0
    cap = view.max_available
    return tuple(v if cap is None else min(v, cap) for v in (total, ship, pickup))  # type: ignore[return-value]


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
)
def test_position_available_is_never_negative_and_matches_the_formula(
    on_hand: int, allocated: int, reserved: int, safety: int, unsellable: int
) -> None:
    expected = max(0, on_hand - allocated - reserved - safety - unsellable)
    assert position_available(on_hand, allocated, reserved, safety, unsellable) == expected
    quantities = PositionQuantities(on_hand, allocated, reserved, safety, unsellable)
    assert quantities.available == expected


@settings(max_examples=300)
@given(scenario(), st.sampled_from(["A", "B", "C"]))
def test_channel_atp_matches_the_contract(
    case: tuple[dict[int, Location], InventoryView, dict[int, int]], sku: str
) -> None:
    locations, view, available = case
    atp = sku_atp(sku, available, locations, view)
    assert (atp.available, atp.ship_available, atp.pickup_available) == contract_atp(
        sku, available, locations, view
    )
    assert all(qty > 0 for _, qty in atp.by_location)


def test_worked_example_rounds_the_percent_buffer_up() -> None:
    loc = location(1, LocationKind.WAREHOUSE, True, False)
    view = InventoryView(1, 1, "v", (1,), safety_buffer=1, safety_buffer_percent=10)
    # 21 - 1 - ceil(2.1) = 17
    assert sku_atp("A", {1: 21}, {1: loc}, view).available == 17


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 5)), min_size=1, max_size=4))
def test_kit_is_the_minimum_of_component_atp_over_quantity(parts: list[tuple[int, int]]) -> None:
    expected = min(a // q for a, q in parts)
    components = [(SkuAtp(f"C{i}", a, a, 0), q) for i, (a, q) in enumerate(parts)]
    assert kit_atp("K", components).available == expected
    assert kit_value(parts) == expected


@settings(max_examples=300)
@given(scenario(), st.data())
def test_incremental_sums_equal_a_full_recompute(
    case: tuple[dict[int, Location], InventoryView, dict[int, int]], data: st.DataObject
) -> None:
    """What ingest adds to the stored sums must equal recomputing them from scratch."""
    locations, view, before = case
    after = {i: data.draw(st.integers(0, 300)) for i in before}
    sku = data.draw(st.sampled_from(["A", "B", "C"]))
    old = channel_sums(((7, sku, i, a) for i, a in before.items()), view, locations)
    new = channel_sums(((7, sku, i, a) for i, a in after.items()), view, locations)
    changes = [PositionChange(7, sku, i, before[i], after[i]) for i in before]
    delta = atp_deltas(changes, [view], locations).get((1, 7), (0, 0, 0))
    base = old.get(7, (0, 0, 0))
    assert tuple(b + d for b, d in zip(base, delta, strict=True)) == new.get(7, (0, 0, 0))
