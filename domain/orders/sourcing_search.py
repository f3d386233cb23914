"""Choosing ship-from locations for a demand (units per SKU), given what each can ship.

`fewest_locations` is exact: it looks for covers of 1, 2, ... locations and, among the
smallest, takes the cheapest by (distance band sum, backlog load sum, km sum, ids). Branch and bound keeps
it fast: a branch stops when the best remaining locations can no longer cover the demand or
can no longer beat the best cover found. Past `budget` search nodes (huge networks with
scattered stock) it falls back to a greedy cover and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location able to ship: what it can send per SKU, and what it costs to use it."""

    location_id: int
    stock: Mapping[str, int]
    distance_band: int
    load: float  # backlog / daily capacity; 0 when capacity is unlimited
    distance_km: float = 0.0

    @property
    def preference(self) -> tuple[int, float, float, int]:
        return (self.distance_band, self.load, self.distance_km, self.location_id)


Cover = tuple[int, ...]  # indexes into the candidate list
Cost = tuple[int, float, float, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class SearchResult:
    locations: tuple[int, ...]  # location ids
    exact: bool


def fewest_locations(
    candidates: Sequence[Candidate],
    demand: Mapping[str, int],
    max_locations: int | None,
    budget: int = 20_000,
) -> SearchResult | None:
    """The smallest, then cheapest set of candidates whose stock covers the demand."""
    wanted = {sku: qty for sku, qty in demand.items() if qty > 0}
    if not wanted:
        return SearchResult((), True)
    ordered = sorted(
        (c for c in candidates if any(c.stock.get(s, 0) > 0 for s in wanted)),
        key=lambda c: c.preference,
    )
    # Ship complete: the first candidate that holds everything is the cheapest single cover,
    # the candidates being sorted the way single covers are compared.
    whole = next(
        (c for c in ordered if all(c.stock.get(s, 0) >= n for s, n in wanted.items())), None
    )
    if whole is not None:
        return SearchResult((whole.location_id,), True)
    limit = len(ordered) if max_locations is None else min(max_locations, len(ordered))
    if limit >= 2 and _pairs_within(len(ordered), budget):
        pair = _best_pair(ordered, wanted)
        if pair is not None:
            return SearchResult(pair, True)
    search = _Search(ordered, budget)
    for size in range(2, limit + 1):
        found = search.run(wanted, size)
        if search.exhausted:
            return _greedy(ordered, wanted, max_locations)
        if found is not None:
            return SearchResult(tuple(ordered[i].location_id for i in found), True)
    return None


def _pairs_within(count: int, budget: int) -> bool:
    """Whether the search of covers of two can never exhaust `budget`: it counts its root,
    each first location and each pair at most once."""
    return 1 + count + count * (count - 1) // 2 <= budget


def _best_pair(ordered: Sequence[Candidate], wanted: Mapping[str, int]) -> tuple[int, int] | None:
    """The cover of two locations `_Search` finds when no single location covers, without
    its tree: every pair in the search's order (first index, then second), skipping those
    whose distance bands alone are worse than the best cover so far, each cost added up as
    the search adds it, the strictly cheaper kept. The two agree pair by pair: the search
    prunes only branches without a cover or with a worse band sum, and never skips a
    location of a cover of two as useless (either alone would then be a cover). Stocks
    below zero change what its bounds prove: those candidates go to the search itself."""
    skus = tuple(wanted)
    needs = tuple(wanted[s] for s in skus)
    stocks = [tuple(c.stock.get(s, 0) for s in skus) for c in ordered]
    if any(units < 0 for held in stocks for units in held):
        return None
    count = len(ordered)
    bands = [c.distance_band for c in ordered]
    best: tuple[Cost, tuple[int, int]] | None = None
    for i in range(count - 1):
        first = ordered[i]
        if best is not None and bands[i] + bands[i + 1] > best[0][0]:
            break  # bands only grow from here on
        # what remains for the second location to cover, per SKU (0: covered)
        left = tuple(
            need - units if units < need else 0
            for need, units in zip(needs, stocks[i], strict=True)
        )
        for j in range(i + 1, count):
            band = 0 + first.distance_band + bands[j]
            if best is not None and band > best[0][0]:
                break
            held = stocks[j]
            if any(units < need for need, units in zip(left, held, strict=True)):
                continue
            second = ordered[j]
            ids = (first.location_id, second.location_id)
            cost = (
                band,
                0.0 + first.load + second.load,
                0.0 + first.distance_km + second.distance_km,
                ids if ids[0] <= ids[1] else (ids[1], ids[0]),
            )
            if best is None or cost < best[0]:
                best = (cost, ids)
    return None if best is None else best[1]


class _Search:
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
        spent: tuple[int, float, float],  # distance bands, load, km so far
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
        # Candidates are sorted by band: the cheapest completion uses the next `slots`.
        floor = band + sum(c.distance_band for c in rest[:slots])
        if self.best is not None and floor > self.best[0][0]:
            return
        if not _coverable(rest, remaining, slots):
            return
        for offset, candidate in enumerate(rest[: len(rest) - slots + 1]):
            left = {
                sku: need - candidate.stock.get(sku, 0)
                for sku, need in remaining.items()
                if need > candidate.stock.get(sku, 0)
            }
            if left == remaining:
                continue  # adds nothing: a smallest cover never holds a useless location
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


def _coverable(rest: Sequence[Candidate], remaining: Mapping[str, int], slots: int) -> bool:
    """Can `slots` more locations from `rest` cover what remains? Two cheap necessary
    conditions: each SKU alone fits in `slots` locations, and the SKU-coverings all SKUs
    need fit in what `slots` locations carry (a location carrying one SKU serves one)."""
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


def _greedy(
    ordered: Sequence[Candidate], demand: Mapping[str, int], max_locations: int | None
) -> SearchResult | None:
    """Take the location covering most remaining units, until covered."""
    remaining = dict(demand)
    chosen: list[int] = []
    pool = list(ordered)
    while remaining:
        if not pool or (max_locations is not None and len(chosen) >= max_locations):
            return None
        gain, _, pick = max(
            (sum(min(n, c.stock.get(s, 0)) for s, n in remaining.items()), -i, c)
            for i, c in enumerate(pool)
        )
        if gain == 0:
            return None
        pool.remove(pick)
        chosen.append(pick.location_id)
        remaining = {
            s: n - pick.stock.get(s, 0) for s, n in remaining.items() if n > pick.stock.get(s, 0)
        }
    return SearchResult(tuple(chosen), False)


Allocation = dict[int, dict[str, int]]  # location id -> SKU -> units


def distribute(
    candidates: Sequence[Candidate], chosen: Sequence[int], demand: Mapping[str, int]
) -> Allocation:
    """Split each SKU's demand over the chosen locations: one location when one can send it
    all (the most preferred such), else the largest stocks first so the line splits least."""
    pool = sorted((c for c in candidates if c.location_id in chosen), key=lambda c: c.preference)
    allocation: Allocation = {}
    for sku, need in demand.items():
        if need <= 0:
            continue
        whole = next((c for c in pool if c.stock.get(sku, 0) >= need), None)
        order = [whole] if whole is not None else sorted(pool, key=lambda c: -c.stock.get(sku, 0))
        for candidate in order:
            take = min(need, candidate.stock.get(sku, 0))
            if take > 0:
                allocation.setdefault(candidate.location_id, {})[sku] = take
                need -= take
        if need > 0:
            raise ValueError(f"chosen locations do not cover {sku}")
    return allocation


def fixed_order(
    ordered: Sequence[Candidate],
    lines: Sequence[tuple[str, int]],
    max_locations: int | None,
) -> Allocation | None:
    """A fixed strategy (nearest first, or a priority list): each line, in cart order, takes
    its units from the first locations in `ordered` that still have them."""
    stock = {c.location_id: dict(c.stock) for c in ordered}
    allocation: Allocation = {}
    for sku, quantity in lines:
        need = quantity
        for candidate in ordered:
            have = stock[candidate.location_id].get(sku, 0)
            take = min(have, need)
            if take <= 0:
                continue
            stock[candidate.location_id][sku] = have - take
            units = allocation.setdefault(candidate.location_id, {})
            units[sku] = units.get(sku, 0) + take
            need -= take
        if need > 0:
            return None
    if max_locations is not None and len(allocation) > max_locations:
        return None
    return allocation
