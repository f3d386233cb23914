"""`fewest_locations` against the plain branch and bound it had before its cover-of-two
shortcut (kept here as the reference): the same locations, the same `exact`, on any
candidates (negative and zero stocks, ties in every cost, budgets that run out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.locations.model import GeoPoint, distance_km, distances_to
from domain.orders.sourcing_search import (
    Candidate,
    SearchResult,
    _greedy,
    _pairs_within,
    fewest_locations,
)

Cover = tuple[int, ...]
Cost = tuple[int, float, float, tuple[int, ...]]


class _ReferenceSearch:
    def __init__(self, candidates: Sequence[Candidate], budget: int) -> None:
        self.candidates = candidates
        self.budget = budget
        self.exhausted = False
        self.best: tuple[Cost, Cover] | None = None

    def run(self, demand: Mapping[str, int], size: int) -> Cover | None:
        self.best = None
        self._visit(0, size, dict(demand), (), (0, 0.0, 0.0))
        return None if self.best is None else self.best[1]

    def _visit(
        self,
        start: int,
        slots: int,
        remaining: dict[str, int],
        chosen: Cover,
        spent: tuple[int, float, float],
    ) -> None:
        band = spent[0]
        if not remaining:
            ids = tuple(sorted(self.candidates[i].location_id for i in chosen))
            cost = (*spent, ids)
            if self.best is None or cost < self.best[0]:
                self.best = (cost, chosen)
            return
        self.budget -= 1
        if slots == 0 or self.exhausted or self.budget < 0:
            self.exhausted = self.exhausted or self.budget < 0
            return
        rest = self.candidates[start:]
        floor = band + sum(c.distance_band for c in rest[:slots])
        if self.best is not None and floor > self.best[0][0]:
            return
        if not _reference_coverable(rest, remaining, slots):
            return
        for offset, candidate in enumerate(rest[: len(rest) - slots + 1]):
            left = {
                sku: need - candidate.stock.get(sku, 0)
                for sku, need in remaining.items()
                if need > candidate.stock.get(sku, 0)
            }
            if left == remaining:
                continue
            index = start + offset
            self._visit(
                index + 1,
                slots - 1,
                left,
                (*chosen, index),
                (
                    band + candidate.distance_band,
                    spent[1] + candidate.load,
                    spent[2] + candidate.distance_km,
                ),
            )


def _reference_coverable(
    rest: Sequence[Candidate], remaining: Mapping[str, int], slots: int
) -> bool:
    needed = 0
    for sku, need in remaining.items():
        stocks = sorted((c.stock.get(sku, 0) for c in rest), reverse=True)
        total, count = 0, 0
        for units in stocks[:slots]:
            if total >= need:
                break
            total, count = total + units, count + 1
        if total < need:
            return False
        needed += count
    carried = sorted(
        (sum(1 for s in remaining if c.stock.get(s, 0) > 0) for c in rest), reverse=True
    )
    return sum(carried[:slots]) >= needed


def reference(
    candidates: Sequence[Candidate],
    demand: Mapping[str, int],
    max_locations: int | None,
    budget: int = 20_000,
) -> SearchResult | None:
    wanted = {sku: qty for sku, qty in demand.items() if qty > 0}
    if not wanted:
        return SearchResult((), True)
    ordered = sorted(
        (c for c in candidates if any(c.stock.get(s, 0) > 0 for s in wanted)),
        key=lambda c: c.preference,
    )
    whole = next(
        (c for c in ordered if all(c.stock.get(s, 0) >= n for s, n in wanted.items())), None
    )
    if whole is not None:
        return SearchResult((whole.location_id,), True)
    limit = len(ordered) if max_locations is None else min(max_locations, len(ordered))
    search = _ReferenceSearch(ordered, budget)
    for size in range(2, limit + 1):
        found = search.run(wanted, size)
        if search.exhausted:
            return _greedy(ordered, wanted, max_locations)
        if found is not None:
            return SearchResult(tuple(ordered[i].location_id for i in found), True)
    return None


SKUS = ("A", "B", "C", "D")
# few distinct bands, loads and distances: ties in every part of the cost
CANDIDATE = st.tuples(
    st.dictionaries(st.sampled_from(SKUS), st.integers(-1, 4), max_size=4),
    st.integers(0, 3),
    st.sampled_from([0.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2.5]),
    st.sampled_from([0.0, 0.1, 0.2, 1e-17, 7.25, 1e16]),
)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Candidate], dict[str, int], int | None, int]:
    specs = draw(st.lists(CANDIDATE, max_size=14))
    ids = draw(st.permutations(range(1, len(specs) + 1)))
    candidates = [
        Candidate(location_id, stock, band, load, km)
        for location_id, (stock, band, load, km) in zip(ids, specs, strict=True)
    ]
    demand = draw(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6), max_size=4))
    max_locations = draw(st.none() | st.integers(0, 4))
    budget = draw(st.sampled_from([20_000, 40, 12, 3, 0]))
    return candidates, demand, max_locations, budget


@settings(max_examples=300, deadline=None)
@given(instances())
def test_the_same_cover_as_the_plain_search(
    instance: tuple[list[Candidate], dict[str, int], int | None, int],
) -> None:
    candidates, demand, max_locations, budget = instance
    assert fewest_locations(candidates, demand, max_locations, budget) == reference(
        candidates, demand, max_locations, budget
    )


def test_a_wide_network_of_pairs_is_found_as_the_plain_search_finds_it() -> None:
    # 60 candidates, each holding one or two of three SKUs: many covers of two to compare
    candidates = [
        Candidate(
            i,
            {SKUS[i % 3]: 1 + i % 2, SKUS[(i * 7) % 3]: 2},
            (i * 37) % 9,
            (i % 5) / 7,
            (i * 13) % 11 + 0.5,
        )
        for i in range(1, 61)
    ]
    demand = {"A": 2, "B": 2, "C": 1}
    assert fewest_locations(candidates, demand, None) == reference(candidates, demand, None)


def test_the_shortcut_is_taken_only_where_the_search_cannot_run_out() -> None:
    assert _pairs_within(199, 20_000)
    assert not _pairs_within(200, 20_000)
    assert _pairs_within(2, 4)
    assert not _pairs_within(2, 3)


POINTS = st.builds(
    GeoPoint,
    st.floats(-90.0, 90.0, allow_nan=False),
    st.floats(-180.0, 180.0, allow_nan=False),
)


@settings(max_examples=300, deadline=None)
@given(POINTS, POINTS)
def test_distances_to_a_destination_are_distance_km_to_the_last_bit(
    a: GeoPoint, b: GeoPoint
) -> None:
    assert distances_to(b)(a) == distance_km(a, b)
