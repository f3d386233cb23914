"""`orchestra demo`: load the demo data set in one bulk transaction, then build channel views.

Rows go in as set-based Core inserts, one statement per table. Each channel's view then
goes through the `upsert_view` use case, so channel ATP (and its outbox events) comes from
the same code that keeps it current afterwards rather than from a second implementation.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.model import LocationKind
from persistence.clock import utcnow
from persistence.database import Database
from persistence.tables import (
    categories,
    channels,
    incoming_supply,
    inventory_movements,
    inventory_positions,
    kit_components,
    locations,
    prices,
    products,
    variants,
)
from persistence.uow import SqlUnitOfWork
from server.demo_data import APP, CATEGORIES, CHANNELS, LOCATIONS, MARKETPLACE, POS, SEED, WEB
from server.demo_plan import DemoPlan, build_plan


async def load_demo(db: Database, only_if_empty: bool = False, *, seed: int = SEED) -> int:
    """Load the demo data set and print one summary line; returns a process exit code."""
    started = time.perf_counter()
    async with db.read() as conn:
        existing = set((await conn.scalars(select(channels.c.code))).all())
    if existing and only_if_empty:
        print("demo data already present")
        return 0
    clash = sorted(existing & {channel.code for channel in CHANNELS})
    if clash:
        print(
            f"error: channel {clash[0]!r} exists; load the demo into an empty database",
            file=sys.stderr,
        )
        return 1
    plan = build_plan(seed)
    now = utcnow()
    try:
        await _insert_plan(db, plan, now)
    except IntegrityError as error:
        print(f"error: demo data clashes with existing rows: {error.orig}", file=sys.stderr)
        return 1
    for channel, spec in _views():
        await upsert_view(channel, spec, SqlUnitOfWork(db), now)
    print(_summary(plan, time.perf_counter() - started))
    return 0


def _views() -> list[tuple[str, ViewSpec]]:
    stores = tuple(loc.code for loc in LOCATIONS if loc.kind is LocationKind.STORE)
    warehouses = tuple(loc.code for loc in LOCATIONS if loc.kind is LocationKind.WAREHOUSE)
    online = tuple(loc.code for loc in LOCATIONS if loc.can_ship or loc.code in stores)
    return [
        (WEB, ViewSpec(WEB, online)),
        (APP, ViewSpec(APP, online)),
        # Store staff can sell from any store or order from a warehouse (endless aisle).
        (POS, ViewSpec(POS, stores + warehouses)),
        # Overselling on the marketplace costs rating, so it sees warehouse stock, held back.
        (
            MARKETPLACE,
            ViewSpec(
                MARKETPLACE,
                warehouses,
                safety_buffer=2,
                safety_buffer_percent=10,
                max_available=50,
            ),
        ),
    ]


async def _insert_plan(db: Database, plan: DemoPlan, now: datetime) -> None:
    # SQLite has a single writer: queue behind this process's other writers, as the UoW does.
    lock = db.write_lock or contextlib.nullcontext()
    async with lock, db.engine.begin() as conn:
        channel_ids = await _insert_keyed(
            conn,
            channels,
            "code",
            [
                {"code": c.code, "name": c.name, "currency": c.currency, "created_at": now}
                for c in CHANNELS
            ],
        )
        category_ids = await _insert_categories(conn)
        location_ids = await _insert_keyed(
            conn,
            locations,
            "code",
            [
                {
                    "code": loc.code,
                    "name": loc.name,
                    "kind": loc.kind.value,
                    "latitude": loc.latitude,
                    "longitude": loc.longitude,
                    "can_ship": loc.can_ship,
                    "can_pickup": loc.can_pickup,
                    "daily_capacity": loc.daily_capacity,
                    "open_fulfillments": 0,
                    "address": None,
                    "created_at": now,
                }
                for loc in LOCATIONS
            ],
        )
        variant_ids = await _insert_catalog(conn, plan, category_ids, channel_ids, now)
        await _insert_inventory(conn, plan, variant_ids, location_ids, now)


async def _insert_keyed(
    conn: AsyncConnection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Bulk insert, then read the generated ids back by natural key (portable, one query)."""
    await conn.execute(insert(table), list(rows))
    column = table.c[key]
    found = await conn.execute(
        select(column, table.c.id).where(column.in_([row[key] for row in rows]))
    )
    return {str(row[0]): int(row[1]) for row in found}


async def _insert_categories(conn: AsyncConnection) -> dict[str, int]:
    roots = [{"code": c, "name": n, "parent_id": None} for c, n, p in CATEGORIES if p is None]
    ids = await _insert_keyed(conn, categories, "code", roots)
    children = [
        {"code": c, "name": n, "parent_id": ids[p]} for c, n, p in CATEGORIES if p is not None
    ]
    return ids | await _insert_keyed(conn, categories, "code", children)


async def _insert_catalog(
    conn: AsyncConnection,
    plan: DemoPlan,
    category_ids: Mapping[str, int],
    channel_ids: Mapping[str, int],
    now: datetime,
) -> dict[str, int]:
    product_rows = [
        {
            "handle": p.handle,
            "title": p.title,
            "description": p.description,
            "category_id": category_ids[p.category],
            "created_at": now,
        }
        for p in plan.products
    ]
    product_ids = await _insert_keyed(conn, products, "handle", product_rows)
    variant_rows = [
        {
            "product_id": product_ids[p.handle],
            "sku": v.sku,
            "title": v.title,
            "unit_cost": v.unit_cost,
            "is_kit": bool(v.components),
        }
        for p in plan.products
        for v in p.variants
    ]
    ids = await _insert_keyed(conn, variants, "sku", variant_rows)
    price_rows = [
        {"variant_id": ids[v.sku], "channel_id": channel_ids[channel], "amount": amount}
        for v in plan.variants
        for channel, amount in v.prices
    ]
    await conn.execute(insert(prices), price_rows)
    component_rows = [
        {"kit_id": ids[v.sku], "component_id": ids[sku], "quantity": quantity}
        for v in plan.variants
        for sku, quantity in v.components
    ]
    await conn.execute(insert(kit_components), component_rows)
    return ids


async def _insert_inventory(
    conn: AsyncConnection,
    plan: DemoPlan,
    variant_ids: Mapping[str, int],
    location_ids: Mapping[str, int],
    now: datetime,
) -> None:
    position_rows = [
        {
            "variant_id": variant_ids[p.sku],
            "location_id": location_ids[p.location],
            "on_hand": p.on_hand,
            "allocated": 0,
            "reserved": 0,
            "safety_stock": p.safety_stock,
            "unsellable": p.unsellable,
            "last_as_of": None,
            "updated_at": now,
        }
        for p in plan.positions
    ]
    await conn.execute(insert(inventory_positions), position_rows)
    # The journal explains every onHand, the opening balances included.
    journal_rows = [
        {
            "variant_id": row["variant_id"],
            "location_id": row["location_id"],
            "kind": "set",
            "delta": row["on_hand"],
            "event_id": None,
            "reason": "demo data",
            "as_of": None,
            "recorded_at": now,
        }
        for row in position_rows
        if row["on_hand"]
    ]
    await conn.execute(insert(inventory_movements), journal_rows)
    supply_rows = [
        {
            "variant_id": variant_ids[s.sku],
            "location_id": location_ids[s.location],
            "quantity": s.quantity,
            "expected_at": now.date() + timedelta(days=s.days_ahead),
            "reference": s.reference,
            "created_at": now,
        }
        for s in plan.supply
    ]
    await conn.execute(insert(incoming_supply), supply_rows)


def _summary(plan: DemoPlan, seconds: float) -> str:
    all_variants = plan.variants
    kits = sum(1 for v in all_variants if v.components)
    return (
        f"Loaded demo data in {seconds:.1f}s: {len(CHANNELS)} channels, "
        f"{len(CATEGORIES)} categories, {len(LOCATIONS)} locations, "
        f"{len(plan.products)} products, {len(all_variants)} variants ({kits} kits), "
        f"{len(plan.positions)} inventory positions, {len(plan.supply)} incoming supply lines."
    )
