"""Sourcing strategies compared on one random network (pure Python, no database).

    .venv/bin/python bench/sourcing.py [--carts 3000] [--locations 100] [--seed 7]

A network of 20 warehouses (broad assortment) and 80 stores (narrow assortment) spread over
France, 500 SKUs, and random 1-5 line carts shipped to random French addresses. For each
strategy: parcels per order, ship-complete rate, km travelled (sum over parcels of the
haversine distance from the ship-from location), carts that could not be sourced, and plans
per second (the fixed NEAREST strategy is the bare reference for speed, same run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.locations.model import GeoPoint, Location, LocationKind, distance_km
from domain.orders.plan import SourcingLine, SourcingPlan, StockSnapshot
from domain.orders.sourcing import source
from domain.orders.sourcing_rules import SourcingConfig, SourcingStrategy


def network(
    rng: random.Random, count: int, skus: int
) -> tuple[dict[int, Location], dict[tuple[str, int], int]]:
    locations: dict[int, Location] = {}
    available: dict[tuple[str, int], int] = {}
    for i in range(1, count + 1):
        warehouse = i <= count // 5
        kind = LocationKind.WAREHOUSE if warehouse else LocationKind.STORE
        geo = GeoPoint(rng.uniform(43.3, 50.9), rng.uniform(-1.2, 7.3))
        capacity = None if warehouse else rng.choice([None, 20, 40])
        backlog = rng.randint(0, 45)
        locations[i] = Location(
            i, f"L{i}", f"L{i}", kind, geo, True, not warehouse, capacity, backlog
        )
        share, most = (0.5, 20) if warehouse else (0.12, 4)
        for s in range(skus):
            if rng.random() < share:
                available[(f"SKU{s}", i)] = rng.randint(0, most)
    return locations, available


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--carts", type=int, default=3000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    locations, available = network(rng, args.locations, args.skus)
    carts = []
    for _ in range(args.carts):
        lines = [
            SourcingLine(str(n), f"SKU{rng.randrange(args.skus)}", rng.randint(1, 2))
            for n in range(rng.randint(1, 5))
        ]
        destination = GeoPoint(rng.uniform(43.3, 50.9), rng.uniform(-1.2, 7.3))
        skus = {line.sku for line in lines}
        snapshot = StockSnapshot(locations, {k: v for k, v in available.items() if k[0] in skus})
        carts.append((lines, snapshot, destination))
    strategies = {
        "FEWEST_SHIPMENTS (ours)": SourcingConfig(),
        "NEAREST": SourcingConfig(strategy=SourcingStrategy.NEAREST),
        "PRIORITY (warehouses, then stores)": SourcingConfig(
            strategy=SourcingStrategy.PRIORITY, priority=tuple(sorted(locations))
        ),
    }
    print(
        f"{args.carts} carts of 1-5 lines, {args.locations} locations, {args.skus} SKUs, seed {args.seed}"
    )
    print(
        f"{'strategy':36} {'parcels':>8} {'complete':>9} {'km/order':>9} {'failed':>7} {'plans/s':>9}"
    )
    for name, config in strategies.items():
        plans: list[SourcingPlan] = []
        started = time.perf_counter()
        for lines, snapshot, destination in carts:
            plans.append(source(lines, snapshot, config, destination))
        elapsed = time.perf_counter() - started
        ok = [(p, c[2]) for p, c in zip(plans, carts, strict=True) if p.complete]
        parcels = statistics.mean(p.shipment_count for p, _ in ok)
        complete = sum(1 for p, _ in ok if p.shipment_count == 1) / len(ok)
        km = statistics.mean(
            sum(distance_km(locations[f.location_id].geo, to) for f in p.fulfillments)  # type: ignore[arg-type]
            for p, to in ok
        )
        failed = len(plans) - len(ok)
        print(
            f"{name:36} {parcels:8.3f} {complete:9.1%} {km:9.0f} {failed:7d} {len(carts) / elapsed:9.0f}"
        )
    inexact = sum(
        1
        for lines, snapshot, to in carts
        if not source(lines, snapshot, SourcingConfig(), to).exact
    )
    print(f"plans that fell back to the greedy cover (search budget exhausted): {inexact}")
    print("Machine shared with other engineers; compare the columns of one run, not runs.")


if __name__ == "__main__":
    main()
