"""The demo data set as plain values: server/demo_data.py's tables plus a seeded generator.

Nothing here touches the database or the clock, so a seed always yields the same plan.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from domain.locations.model import LocationKind
from server.demo_data import (
    APP,
    APP_DEAL,
    KITS,
    LINES,
    LOCATIONS,
    MARKETPLACE,
    MARKETPLACE_MARKUP,
    POS,
    PRODUCTS_PER_LINE,
    SEED,
    WEB,
    DemoLocation,
    Option,
    ProductLine,
)

CENT = Decimal("0.01")
KIT_DISCOUNT = Decimal("0.90")
PO_LINES = 15  # lines per purchase order


@dataclass(frozen=True, slots=True)
class PlannedVariant:
    sku: str
    title: str
    unit_cost: Decimal
    prices: tuple[tuple[str, Decimal], ...]  # (channel code, amount)
    components: tuple[tuple[str, int], ...] = ()  # (component SKU, quantity) for kits


@dataclass(frozen=True, slots=True)
class PlannedProduct:
    handle: str
    title: str
    description: str
    category: str
    variants: tuple[PlannedVariant, ...]


@dataclass(frozen=True, slots=True)
class PlannedPosition:
    sku: str
    location: str
    on_hand: int
    safety_stock: int = 0
    unsellable: int = 0


@dataclass(frozen=True, slots=True)
class PlannedSupply:
    sku: str
    location: str
    quantity: int
    days_ahead: int  # dates are relative to the load day so the demo never goes stale
    reference: str


@dataclass(frozen=True, slots=True)
class DemoPlan:
    products: tuple[PlannedProduct, ...]
    positions: tuple[PlannedPosition, ...]
    supply: tuple[PlannedSupply, ...]

    @property
    def variants(self) -> list[PlannedVariant]:
        return [v for p in self.products for v in p.variants]


def build_plan(seed: int = SEED) -> DemoPlan:
    """The whole data set as values; the same seed always gives the same plan."""
    # Separate streams so that tuning stock levels never reshuffles the catalog.
    catalog_rng, stock_rng = random.Random(seed), random.Random(seed + 1)
    products_out: list[PlannedProduct] = []
    positions_out: list[PlannedPosition] = []
    for line in LINES:
        for number in range(1, PRODUCTS_PER_LINE + 1):
            product, in_stores = _product(catalog_rng, line, number)
            products_out.append(product)
            for variant in product.variants:
                positions_out.extend(_stock(stock_rng, line, variant.sku, in_stores))
    products_out.extend(_kits(catalog_rng, products_out))
    plan = DemoPlan(
        tuple(products_out), tuple(positions_out), tuple(_supply(stock_rng, positions_out))
    )
    _check_unique(plan)
    return plan


def _retail(amount: Decimal) -> Decimal:
    """Round up to a price ending in .99."""
    return Decimal(max(1, math.ceil(amount))) - CENT


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _grid(rng: random.Random, line: ProductLine) -> list[tuple[int, Option | None, Option]]:
    """Four (size index, size, colour) cells, the way such goods are usually ranged."""
    if not line.sizes:  # one-size goods come in four colours
        return [(0, None, colour) for colour in rng.sample(line.colours, 4)]
    if len(line.sizes) >= 4:  # apparel, shoes, bedding: one colourway in a run of sizes
        start = rng.randrange(len(line.sizes) - 3)
        colour = rng.choice(line.colours)
        return [(i, line.sizes[i], colour) for i in range(start, start + 4)]
    picked = sorted(rng.sample(range(len(line.sizes)), 2))
    return [(i, line.sizes[i], c) for i in picked for c in rng.sample(line.colours, 2)]


def _product(rng: random.Random, line: ProductLine, number: int) -> tuple[PlannedProduct, bool]:
    title = f"{rng.choice(line.adjectives)} {rng.choice(line.nouns)}"
    base = Decimal(rng.randint(*line.price_range))
    on_marketplace = rng.random() >= 0.15
    in_stores = rng.random() >= 0.08  # the rest are online exclusives
    app_deal = rng.random() < 0.10
    variants_out = []
    for index, size, (colour_code, colour) in _grid(rng, line):
        price = _retail(base + line.size_step * index)
        channel_prices = [(WEB, price)]
        channel_prices.append((APP, _retail(price * APP_DEAL) if app_deal else price))
        if on_marketplace:
            channel_prices.append((MARKETPLACE, _retail(price * MARKETPLACE_MARKUP)))
        if in_stores:
            channel_prices.append((POS, price))
        sku_parts = [line.prefix, f"{number:04d}", *([size[0]] if size else []), colour_code]
        variants_out.append(
            PlannedVariant(
                sku="-".join(sku_parts),
                title=f"{size[1]} / {colour}" if size else colour,
                unit_cost=(price * line.cost_ratio).quantize(CENT),
                prices=tuple(channel_prices),
            )
        )
    handle = f"{_slug(title)}-{number:04d}"
    product = PlannedProduct(handle, title, line.blurb, line.category, tuple(variants_out))
    return product, in_stores


def _kits(rng: random.Random, catalog: list[PlannedProduct]) -> list[PlannedProduct]:
    """Bundles of variants from other lines, priced at a discount on their parts."""
    by_prefix: dict[str, list[tuple[PlannedProduct, PlannedVariant]]] = {}
    for product in catalog:
        for variant in product.variants:
            by_prefix.setdefault(variant.sku.split("-", 1)[0], []).append((product, variant))
    kits_out = []
    for number, kit in enumerate(KITS, start=1):
        parts: list[tuple[PlannedProduct, PlannedVariant, int]] = []
        for prefix, quantity in kit.components:
            taken = {v.sku for _, v, _ in parts}
            product, variant = rng.choice(
                [pv for pv in by_prefix[prefix] if pv[1].sku not in taken]
            )
            parts.append((product, variant, quantity))
        list_price = sum((dict(v.prices)[WEB] * q for _, v, q in parts), Decimal(0))
        price = _retail(list_price * KIT_DISCOUNT)
        kit_variant = PlannedVariant(
            sku=f"KIT-{number:04d}",
            title="Bundle",
            unit_cost=sum((v.unit_cost * q for _, v, q in parts), Decimal(0)),
            prices=((WEB, price), (APP, price), (POS, price)),
            components=tuple((v.sku, q) for _, v, q in parts),
        )
        contents = ", ".join(f"{q} x {p.title} ({v.title})" for p, v, q in parts)
        description = f"Includes {contents}."
        kits_out.append(
            PlannedProduct(_slug(kit.title), kit.title, description, "bundles", (kit_variant,))
        )
    return kits_out


def _stock(
    rng: random.Random, line: ProductLine, sku: str, in_stores: bool
) -> list[PlannedPosition]:
    """Where one variant is stocked and how much: deep in warehouses, thin in stores."""
    rows = []
    for location in LOCATIONS:
        position = _position_at(rng, location, line, sku, in_stores)
        if position is not None:
            rows.append(position)
    # A few best sellers are sold out or nearly everywhere, so zero and low ATP show up too.
    roll = rng.random()
    if roll < 0.03:
        return [dataclasses.replace(p, on_hand=0) for p in rows]
    if roll < 0.10:
        return [dataclasses.replace(p, on_hand=min(p.on_hand, rng.randint(0, 3))) for p in rows]
    return rows


def _position_at(
    rng: random.Random, location: DemoLocation, line: ProductLine, sku: str, in_stores: bool
) -> PlannedPosition | None:
    code, kind = location.code, location.kind
    if kind is LocationKind.WAREHOUSE:
        if rng.random() >= 0.85:
            return None
        roll = rng.random()  # some stock-outs and low stock make availability interesting
        on_hand = 0 if roll < 0.06 else rng.randint(1, 9) if roll < 0.2 else rng.randint(20, 400)
        safety = rng.choice((2, 5, 10)) if rng.random() < 0.25 else 0
        damaged = rng.randint(1, 3) if rng.random() < 0.05 else 0
        return PlannedPosition(sku, code, on_hand, safety, damaged)
    if kind is LocationKind.STORE:
        if not in_stores or rng.random() >= line.store_share:
            return None
        on_hand = 0 if rng.random() < 0.1 else rng.randint(1, 14)
        display = 1 if rng.random() < 0.3 else 0  # the display unit is not for sale
        damaged = 1 if rng.random() < 0.03 else 0
        return PlannedPosition(sku, code, on_hand, display, damaged)
    if kind is LocationKind.THIRD_PARTY_LOGISTICS:
        return PlannedPosition(sku, code, rng.randint(10, 150)) if rng.random() < 0.4 else None
    if kind is LocationKind.DROPSHIP_VENDOR:
        return PlannedPosition(sku, code, rng.randint(50, 500)) if line.dropship else None
    if kind is LocationKind.DARK_STORE:
        return PlannedPosition(sku, code, rng.randint(1, 24)) if rng.random() < 0.25 else None
    return None


def _supply(rng: random.Random, positions: list[PlannedPosition]) -> list[PlannedSupply]:
    """Purchase orders for part of what runs low at the warehouses, a few weeks out."""
    warehouses = {loc.code for loc in LOCATIONS if loc.kind is LocationKind.WAREHOUSE}
    low = [
        p for p in positions if p.location in warehouses and p.on_hand < 10 and rng.random() < 0.35
    ]
    low.sort(key=lambda p: (p.location, p.sku))
    supply = []
    for start in range(0, len(low), PO_LINES):
        reference = f"PO-{40001 + start // PO_LINES}"
        days_ahead = rng.randint(3, 45)
        for p in low[start : start + PO_LINES]:
            quantity = rng.choice((48, 96, 144, 240))
            supply.append(PlannedSupply(p.sku, p.location, quantity, days_ahead, reference))
    return supply


def _check_unique(plan: DemoPlan) -> None:
    handles = [p.handle for p in plan.products]
    skus = [v.sku for v in plan.variants]
    if len(set(handles)) != len(handles) or len(set(skus)) != len(skus):
        raise AssertionError("demo data tables produce duplicate handles or SKUs")
