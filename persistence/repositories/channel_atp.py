"""Channel ATP bookkeeping: views, the per-channel sums ingest keeps current, and the
last published value of each SKU (what the availabilityChanged feed compares against)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.ingest import PositionState
from domain.inventory.model import InventoryView
from domain.locations.model import LocationKind
from persistence import raw_writes
from persistence.batch import chunks, insert_rows
from persistence.database import Database, one_of_param
from persistence.repositories.inventory import LOCK_CHUNK
from persistence.tables import (
    POSITION_QUANTITIES,
    channel_atp,
    channels,
    inventory_positions,
    inventory_views,
    kit_components,
    variants,
)

_pos = inventory_positions.c
_VIEWS = select(inventory_views, channels.c.code.label("channel_code")).join(
    channels, channels.c.id == inventory_views.c.channel_id
)
_VIEWS_SHARED = _VIEWS.with_for_update(read=True, of=inventory_views)


@cache
def _kits_query(is_sqlite: bool) -> Any:
    """Kits using any of `component_ids`, with all their parts (built once: every stock
    change runs it)."""
    k = kit_components.c
    kit_ids = select(k.kit_id).where(one_of_param(is_sqlite, k.component_id, "component_ids"))
    return (
        select(k.kit_id, variants.c.sku, k.component_id, k.quantity)
        .join(variants, variants.c.id == k.kit_id)
        .where(k.kit_id.in_(kit_ids.scalar_subquery()))
    )


def view_from_row(row: Any) -> InventoryView:
    return InventoryView(
        id=row.id,
        channel_id=row.channel_id,
        code=row.code,
        location_ids=tuple(row.location_ids),
        safety_buffer=row.safety_buffer,
        safety_buffer_percent=row.safety_buffer_percent,
        max_available=row.max_available,
        excluded_skus=frozenset(row.excluded_skus),
        excluded_location_kinds=frozenset(LocationKind(k) for k in row.excluded_location_kinds),
    )


class SqlChannelAtpRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def views(self) -> list[tuple[InventoryView, str]]:
        """Every view, share-locked on PostgreSQL until this unit of work ends.

        A view upsert locks its row exclusively and recomputes the channel's sums from
        positions; ingest adds its deltas to those sums under this share lock. So either
        the upsert sees the ingest's committed positions, or the ingest adds its delta
        to the upsert's fresh sums: the stored sums never miss a change. (SQLite has a
        single writer.)
        """
        query = _VIEWS if self.db.is_sqlite else _VIEWS_SHARED
        return [(view_from_row(row), row.channel_code) for row in await self.conn.execute(query)]

    async def upsert_view(self, view: InventoryView, now: datetime) -> InventoryView:
        values = {
            "channel_id": view.channel_id,
            "code": view.code,
            "location_ids": list(view.location_ids),
            "safety_buffer": view.safety_buffer,
            "safety_buffer_percent": view.safety_buffer_percent,
            "max_available": view.max_available,
            "excluded_skus": sorted(view.excluded_skus),
            "excluded_location_kinds": sorted(k.value for k in view.excluded_location_kinds),
            "updated_at": now,
        }
        stmt = self.db.insert(inventory_views).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[inventory_views.c.channel_id], set_=values
        ).returning(inventory_views)
        return view_from_row((await self.conn.execute(stmt)).one())

    async def add_atp_deltas(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        result: dict[tuple[int, int], tuple[int, int]] = {}
        if not self.db.is_sqlite:
            if not deltas:
                return result
            ordered = sorted(deltas.items())
            rows = await raw_writes.execute(
                self.conn,
                _ADD_DELTAS_PG,
                raw_writes.int_array(ch for (ch, _), _ in ordered),
                raw_writes.int_array(v for (_, v), _ in ordered),
                raw_writes.int_array(d[0] for _, d in ordered),
                raw_writes.int_array(d[1] for _, d in ordered),
                raw_writes.int_array(d[2] for _, d in ordered),
            )
            return {(ch, v): (total, available) for ch, v, total, available in rows}
        for chunk in chunks(sorted(deltas.items()), LOCK_CHUNK):
            rows = [
                {
                    "channel_id": ch,
                    "variant_id": v,
                    "raw_total": d[0],
                    "raw_ship": d[1],
                    "raw_pickup": d[2],
                    "available": 0,
                }
                for (ch, v), d in chunk
            ]
            stmt, params = insert_rows(self.db, channel_atp, rows)
            for row in await self.conn.execute(_add_deltas(stmt), params):
                result[(row.channel_id, row.variant_id)] = (row.raw_total, row.available)
        return result

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None:
        if not values:
            return
        # Kits have no raw sums of their own: their row is created here when missing.
        if not self.db.is_sqlite:
            keys = sorted(values)
            await raw_writes.execute(
                self.conn,
                _SET_AVAILABLE_PG,
                raw_writes.int_array(ch for ch, _ in keys),
                raw_writes.int_array(v for _, v in keys),
                raw_writes.int_array(values[key] for key in keys),
            )
            return
        rows = [
            {
                "channel_id": ch,
                "variant_id": v,
                "raw_total": 0,
                "raw_ship": 0,
                "raw_pickup": 0,
                "available": values[(ch, v)],
            }
            for ch, v in sorted(values)
        ]
        stmt, params = insert_rows(self.db, channel_atp, rows)
        await self.conn.execute(_set_available(stmt), params)

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        c = channel_atp.c
        wanted = set(keys)
        channel_ids = sorted({ch for ch, _ in wanted})
        found: dict[tuple[int, int], int] = {}
        # Two IN lists, not a tuple IN (see movements_since).
        for chunk in chunks(sorted({v for _, v in wanted})):
            query = select(c.channel_id, c.variant_id, c.available).where(
                self.db.one_of(c.channel_id, channel_ids), self.db.one_of(c.variant_id, chunk)
            )
            for row in await self.conn.execute(query):
                key = (row.channel_id, row.variant_id)
                if key in wanted:
                    found[key] = row.available
        return found

    async def kits_containing(
        self, component_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[tuple[int, int]]]]:
        kits: dict[int, tuple[str, list[tuple[int, int]]]] = {}
        if not self.db.is_sqlite:
            wanted = sorted(set(component_ids))
            rows: Sequence[Any] = []
            if wanted:
                rows = await raw_writes.execute(self.conn, _KITS_PG, raw_writes.int_array(wanted))
            for kit_id, sku, component_id, quantity in rows:
                _, parts = kits.setdefault(kit_id, (sku, []))
                if (component_id, quantity) not in parts:
                    parts.append((component_id, quantity))
            return kits
        query = _kits_query(self.db.is_sqlite)
        for chunk in chunks(sorted(set(component_ids))):
            for row in await self.conn.execute(query, {"component_ids": list(chunk)}):
                _, parts = kits.setdefault(row.kit_id, (row.sku, []))
                if (row.component_id, row.quantity) not in parts:
                    parts.append((row.component_id, row.quantity))
        return kits

    async def position_availability(
        self, location_ids: Sequence[int]
    ) -> list[tuple[int, str, int, PositionState]]:
        """(variant id, sku, location id, state) for every position at these locations."""
        query = (
            select(_pos.variant_id, variants.c.sku, _pos.location_id, *POSITION_QUANTITIES)
            .join(variants, variants.c.id == _pos.variant_id)
            .where(_pos.location_id.in_(list(location_ids)))
        )
        return [
            (variant_id, sku, location_id, PositionState(*quantities))
            for variant_id, sku, location_id, *quantities in await self.conn.execute(query)
        ]

    async def published_for_channel(self, channel_id: int) -> dict[int, int]:
        c = channel_atp.c
        query = select(c.variant_id, c.available).where(c.channel_id == channel_id)
        return {row.variant_id: row.available for row in await self.conn.execute(query)}

    async def sku_of(self, variant_id: int) -> str:
        query = select(variants.c.sku).where(variants.c.id == variant_id)
        return str((await self.conn.execute(query)).scalar_one())

    async def replace_channel_atp(
        self,
        channel_id: int,
        raw: Mapping[int, tuple[int, int, int]],
        published: Mapping[int, int],
    ) -> None:
        c = channel_atp.c
        await self.conn.execute(delete(channel_atp).where(c.channel_id == channel_id))
        rows = [
            {
                "channel_id": channel_id,
                "variant_id": v,
                "raw_total": raw.get(v, (0, 0, 0))[0],
                "raw_ship": raw.get(v, (0, 0, 0))[1],
                "raw_pickup": raw.get(v, (0, 0, 0))[2],
                "available": published.get(v, 0),
            }
            for v in sorted(set(raw) | set(published))
        ]
        for chunk in chunks(rows):
            await self.conn.execute(insert(channel_atp), list(chunk))


# The same statements as constant SQL for asyncpg (persistence/raw_writes.py): every
# batch of counts and every stock change runs them. Rows go in key order, so concurrent
# writers take the row locks in the same order.
_ADD_DELTAS_PG = """
INSERT INTO channel_atp AS c
    (channel_id, variant_id, raw_total, raw_ship, raw_pickup, available)
SELECT d.ch, d.v, d.t, d.s, d.p, 0
FROM unnest($1::text::int[], $2::text::bigint[], $3::text::bigint[], $4::text::bigint[],
            $5::text::bigint[]) AS d(ch, v, t, s, p)
ON CONFLICT (channel_id, variant_id) DO UPDATE SET
    raw_total = c.raw_total + excluded.raw_total,
    raw_ship = c.raw_ship + excluded.raw_ship,
    raw_pickup = c.raw_pickup + excluded.raw_pickup
RETURNING c.channel_id, c.variant_id, c.raw_total, c.available"""
_SET_AVAILABLE_PG = """
INSERT INTO channel_atp AS c
    (channel_id, variant_id, raw_total, raw_ship, raw_pickup, available)
SELECT d.ch, d.v, 0, 0, 0, d.a
FROM unnest($1::text::int[], $2::text::bigint[], $3::text::bigint[]) AS d(ch, v, a)
ON CONFLICT (channel_id, variant_id) DO UPDATE SET available = excluded.available"""
_KITS_PG = """
SELECT k.kit_id, v.sku, k.component_id, k.quantity
FROM kit_components k JOIN variants v ON v.id = k.kit_id
WHERE k.kit_id IN (
    SELECT kit_id FROM kit_components WHERE component_id = ANY($1::text::bigint[]))"""


# Built once per batch shape (insert_rows hands out the same INSERT for the same shape):
# every checkout and stock change runs these.


@cache
def _add_deltas(stmt: Any) -> Any:
    c = channel_atp.c
    return stmt.on_conflict_do_update(
        index_elements=[c.channel_id, c.variant_id],
        set_={
            "raw_total": c.raw_total + stmt.excluded.raw_total,
            "raw_ship": c.raw_ship + stmt.excluded.raw_ship,
            "raw_pickup": c.raw_pickup + stmt.excluded.raw_pickup,
        },
    ).returning(c.channel_id, c.variant_id, c.raw_total, c.available)


@cache
def _set_available(stmt: Any) -> Any:
    c = channel_atp.c
    return stmt.on_conflict_do_update(
        index_elements=[c.channel_id, c.variant_id],
        set_={"available": stmt.excluded.available},
    )
