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
from persistence import direct
from persistence.batch import chunks, insert_rows
from persistence.database import Database, one_of_param
from persistence.raw_writes import int_array
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
VIEWS_SHARED = _VIEWS.with_for_update(read=True, of=inventory_views)

# PostgreSQL: the deltas added and, in the same round trip, the kits using any of the
# changed variants with all their parts (`publish_changes` asks for them next; almost
# always none). Rows of the two shapes are told apart by `kit`.
_ADD_DELTAS_PG = """
WITH added AS (
  INSERT INTO channel_atp (channel_id, variant_id, raw_total, raw_ship, raw_pickup, available)
  SELECT d.channel_id, d.variant_id, d.raw_total, d.raw_ship, d.raw_pickup, 0
  FROM unnest($1::text::int[], $2::text::bigint[], $3::text::bigint[], $4::text::bigint[],
              $5::text::bigint[])
    AS d(channel_id, variant_id, raw_total, raw_ship, raw_pickup)
  ON CONFLICT (channel_id, variant_id) DO UPDATE SET
    raw_total = channel_atp.raw_total + excluded.raw_total,
    raw_ship = channel_atp.raw_ship + excluded.raw_ship,
    raw_pickup = channel_atp.raw_pickup + excluded.raw_pickup
  RETURNING channel_id, variant_id, raw_total, available)
SELECT false AS kit, channel_id::bigint AS a, variant_id AS b, raw_total AS c,
       available AS d, NULL::text AS sku
FROM added
UNION ALL
SELECT true, k.kit_id, k.component_id, k.quantity::bigint, NULL::bigint, v.sku
FROM kit_components k JOIN variants v ON v.id = k.kit_id
WHERE k.kit_id IN (
    SELECT kit_id FROM kit_components WHERE component_id = ANY($2::text::bigint[]))"""


# PostgreSQL: published values written (kits have no raw sums: their row is created here
# when missing). Parameters $1-$3 (channel, variant, value arrays), or from `first` on when
# it is a CTE of another statement (persistence/outbox.py sends it with the events).
def set_available_pg(first: int = 1) -> str:
    ch, v, value = (f"${first + i}" for i in range(3))
    return (
        "INSERT INTO channel_atp (channel_id, variant_id, raw_total, raw_ship, raw_pickup, "
        f"available) SELECT c, v, 0, 0, 0, a FROM unnest({ch}::text::int[], "
        f"{v}::text::bigint[], {value}::text::bigint[]) AS x(c, v, a) "
        "ON CONFLICT (channel_id, variant_id) DO UPDATE SET available = excluded.available"
    )


Kits = dict[int, tuple[str, list[tuple[int, int]]]]
# Channel ids, variant ids, values: array literals (persistence/raw_writes.py).
Published = tuple[str, str, str]


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
    def __init__(self, conn: AsyncConnection, db: Database, *, defer: bool = False) -> None:
        self.conn = conn
        self.db = db
        # `defer` (a unit of work that calls `take_unpublished` at commit, on PostgreSQL):
        # published values are written with the outbox rows at commit, the events that
        # announce them, one round trip fewer; any read of channel_atp before writes them.
        self._defer = defer and not db.is_sqlite
        self._unpublished: dict[tuple[int, int], int] = {}
        # Read under this transaction's share lock, so they hold until it ends.
        self._views: list[tuple[InventoryView, str]] | None = None
        # The kits of the variants the last `add_atp_deltas` moved (PostgreSQL reads them
        # with the deltas): (those variants, the kits using any of them).
        self._kits: tuple[frozenset[int], Kits] | None = None

    async def views(self) -> list[tuple[InventoryView, str]]:
        """Every view, share-locked on PostgreSQL until this unit of work ends.

        A view upsert locks its row exclusively and recomputes the channel's sums from
        positions; ingest adds its deltas to those sums under this share lock. So either
        the upsert sees the ingest's committed positions, or the ingest adds its delta
        to the upsert's fresh sums: the stored sums never miss a change. (SQLite has a
        single writer.)
        """
        if self._views is not None:
            return list(self._views)
        query = _VIEWS if self.db.is_sqlite else VIEWS_SHARED
        found = [
            (view_from_row(row), row.channel_code) for row in await direct.rows(self.conn, query)
        ]
        if not self.db.is_sqlite:
            self._views = found
        return list(found)

    def share_locked_views(self, rows: Sequence[Any]) -> None:
        """Views read with `VIEWS_SHARED`'s columns under its share lock by another
        statement of this transaction (stock.adjust sends it with the position deltas):
        `views` answers from them."""
        self._views = [(view_from_row(row), row.channel_code) for row in rows]

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
        self._views = None  # this one changed
        return view_from_row((await self.conn.execute(stmt)).one())

    async def add_atp_deltas(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        self._kits = None
        await self._write_unpublished()
        if not self.db.is_sqlite:
            return await self._add_atp_deltas_pg(deltas)
        result: dict[tuple[int, int], tuple[int, int]] = {}
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
            for row in await direct.rows(self.conn, _add_deltas(stmt), params):
                result[(row.channel_id, row.variant_id)] = (row.raw_total, row.available)
        return result

    async def _add_atp_deltas_pg(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        result: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[int] = set()
        kits: Kits = {}
        read_kits = True
        for chunk in chunks(sorted(deltas.items()), LOCK_CHUNK):
            arrays: tuple[list[int], ...] = ([], [], [], [], [])
            for (ch, v), d in chunk:
                for array, value in zip(arrays, (ch, v, *d), strict=True):
                    array.append(value)
            rows = await direct.fetch(self.conn, _ADD_DELTAS_PG, *map(int_array, arrays))
            if rows is None:  # outside a transaction: SQLAlchemy, as on SQLite
                rows = await self._add_deltas_sqlalchemy(dict(chunk))
                read_kits = False
            covered.update(arrays[1])
            for row in rows:
                if not row[0]:
                    result[(row[1], row[2])] = (row[3], row[4])
                    continue
                _, parts = kits.setdefault(row[1], (row[5], []))
                if (row[2], row[3]) not in parts:
                    parts.append((row[2], row[3]))
        self._kits = (frozenset(covered), kits) if read_kits else None
        return result

    async def _add_deltas_sqlalchemy(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> list[tuple[Any, ...]]:
        """`_ADD_DELTAS_PG`'s rows through SQLAlchemy (the deltas' rows only: no kits
        known, `kits_containing` reads them)."""
        rows = [
            {
                "channel_id": ch,
                "variant_id": v,
                "raw_total": d[0],
                "raw_ship": d[1],
                "raw_pickup": d[2],
                "available": 0,
            }
            for (ch, v), d in deltas.items()
        ]
        stmt, params = insert_rows(self.db, channel_atp, rows)
        return [
            (False, row.channel_id, row.variant_id, row.raw_total, row.available, None)
            for row in await self.conn.execute(_add_deltas(stmt), params)
        ]

    def take_unpublished(self) -> Published | None:
        """The published values `set_published` kept for the commit (and forgets them)."""
        if not self._unpublished:
            return None
        keys = sorted(self._unpublished)
        taken = (
            int_array(ch for ch, _ in keys),
            int_array(v for _, v in keys),
            int_array(self._unpublished[k] for k in keys),
        )
        self._unpublished = {}
        return taken

    async def _write_unpublished(self) -> None:
        if self._unpublished:
            values, self._unpublished = self._unpublished, {}
            await self._set_published(values)

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None:
        if not values:
            return
        if self._defer:
            self._unpublished.update(values)
            return
        await self._set_published(values)

    async def _set_published(self, values: Mapping[tuple[int, int], int]) -> None:
        # Kits have no raw sums of their own: their row is created here when missing.
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
        if await direct.execute(self.conn, _set_available(stmt), params) is None:
            await self.conn.execute(_set_available(stmt), params)

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        await self._write_unpublished()
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
        wanted = set(component_ids)
        if self._kits is not None and wanted <= self._kits[0]:
            return {
                kit_id: (sku, list(parts))
                for kit_id, (sku, parts) in self._kits[1].items()
                if any(component in wanted for component, _ in parts)
            }
        kits: Kits = {}
        query = _kits_query(self.db.is_sqlite)
        for chunk in chunks(sorted(wanted)):
            for row in await direct.rows(self.conn, query, {"component_ids": list(chunk)}):
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
        await self._write_unpublished()
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
        await self._write_unpublished()
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
