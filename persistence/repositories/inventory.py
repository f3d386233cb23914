"""Inventory writes as set-based SQL: one statement per step, whatever the batch size."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.ingest import PositionState
from domain.inventory.model import InventoryView
from domain.locations.model import LocationKind
from persistence.clock import aware, utcnow
from persistence.database import Database
from persistence.tables import (
    channel_atp,
    channels,
    incoming_supply,
    inventory_movements,
    inventory_positions,
    inventory_views,
    kit_components,
    variants,
)

PositionKey = tuple[int, int]
T = TypeVar("T")
CHUNK = 2000
_pos = inventory_positions.c


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


class SqlInventoryRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def lock_positions(self, keys: Sequence[PositionKey]) -> dict[PositionKey, PositionState]:
        """Create missing positions and lock all of them in one statement per chunk.

        ON CONFLICT DO UPDATE locks the existing row and RETURNING gives its current state;
        keys are sorted so that concurrent batches lock in the same order (no deadlock).
        """
        now = utcnow()
        states: dict[PositionKey, PositionState] = {}
        for chunk in chunks(sorted(set(keys))):
            stmt = self.db.insert(inventory_positions).values(
                [
                    {
                        "variant_id": v,
                        "location_id": loc,
                        "on_hand": 0,
                        "allocated": 0,
                        "reserved": 0,
                        "safety_stock": 0,
                        "unsellable": 0,
                        "updated_at": now,
                    }
                    for v, loc in chunk
                ]
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[_pos.variant_id, _pos.location_id],
                set_={"variant_id": stmt.excluded.variant_id},
            ).returning(
                _pos.variant_id,
                _pos.location_id,
                _pos.on_hand,
                _pos.allocated,
                _pos.reserved,
                _pos.safety_stock,
                _pos.unsellable,
                _pos.last_as_of,
            )
            for row in await self.conn.execute(stmt):
                states[(row.variant_id, row.location_id)] = PositionState(
                    row.on_hand,
                    row.allocated,
                    row.reserved,
                    row.safety_stock,
                    row.unsellable,
                    aware(row.last_as_of) if row.last_as_of else None,
                )
        return states

    async def movements_since(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> dict[PositionKey, list[tuple[datetime, int]]]:
        m = inventory_movements.c
        found: dict[PositionKey, list[tuple[datetime, int]]] = {}
        for chunk in chunks(sorted(set(keys))):
            query = select(m.variant_id, m.location_id, m.recorded_at, m.delta).where(
                tuple_(m.variant_id, m.location_id).in_(chunk),
                m.recorded_at > since,
                m.kind != "set",
            )
            for row in await self.conn.execute(query):
                found.setdefault((row.variant_id, row.location_id), []).append(
                    (aware(row.recorded_at), row.delta)
                )
        return found

    async def claim_events(self, rows: Sequence[Mapping[str, Any]]) -> set[str]:
        claimed: set[str] = set()
        for chunk in chunks(rows):
            stmt = (
                self.db.insert(inventory_movements)
                .values(list(chunk))
                .on_conflict_do_nothing(index_elements=[inventory_movements.c.event_id])
                .returning(inventory_movements.c.event_id)
            )
            claimed.update(row.event_id for row in await self.conn.execute(stmt))
        return claimed

    async def journal_counts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self.conn.execute(insert(inventory_movements), list(rows))

    async def save_positions(
        self, states: Mapping[PositionKey, PositionState], now: datetime
    ) -> None:
        if not states:
            return
        stmt = (
            update(inventory_positions)
            .where(
                _pos.variant_id == bindparam("k_variant"), _pos.location_id == bindparam("k_loc")
            )
            .values(
                on_hand=bindparam("on_hand"),
                safety_stock=bindparam("safety_stock"),
                unsellable=bindparam("unsellable"),
                last_as_of=bindparam("last_as_of"),
                updated_at=bindparam("updated_at"),
            )
        )
        params = [
            {
                "k_variant": v,
                "k_loc": loc,
                "on_hand": s.on_hand,
                "safety_stock": s.safety_stock,
                "unsellable": s.unsellable,
                "last_as_of": s.last_as_of,
                "updated_at": now,
            }
            for (v, loc), s in sorted(states.items())
        ]
        await self.conn.execute(stmt, params)

    async def add_incoming(
        self, key: PositionKey, quantity: int, expected_at: date, reference: str | None
    ) -> None:
        await self.conn.execute(
            insert(incoming_supply).values(
                variant_id=key[0],
                location_id=key[1],
                quantity=quantity,
                expected_at=expected_at,
                reference=reference,
                created_at=utcnow(),
            )
        )

    async def views(self) -> list[tuple[InventoryView, str]]:
        query = select(inventory_views, channels.c.code.label("channel_code")).join(
            channels, channels.c.id == inventory_views.c.channel_id
        )
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
        c = channel_atp.c
        result: dict[tuple[int, int], tuple[int, int]] = {}
        items = sorted(deltas.items())
        for chunk in chunks(items):
            stmt = self.db.insert(channel_atp).values(
                [
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
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[c.channel_id, c.variant_id],
                set_={
                    "raw_total": c.raw_total + stmt.excluded.raw_total,
                    "raw_ship": c.raw_ship + stmt.excluded.raw_ship,
                    "raw_pickup": c.raw_pickup + stmt.excluded.raw_pickup,
                },
            ).returning(c.channel_id, c.variant_id, c.raw_total, c.available)
            for row in await self.conn.execute(stmt):
                result[(row.channel_id, row.variant_id)] = (row.raw_total, row.available)
        return result

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None:
        if not values:
            return
        c = channel_atp.c
        keys = sorted(values)
        # Kits have no raw sums of their own: make sure their row exists first.
        for chunk in chunks(keys):
            stmt = self.db.insert(channel_atp).values(
                [
                    {
                        "channel_id": ch,
                        "variant_id": v,
                        "raw_total": 0,
                        "raw_ship": 0,
                        "raw_pickup": 0,
                        "available": 0,
                    }
                    for ch, v in chunk
                ]
            )
            await self.conn.execute(stmt.on_conflict_do_nothing())
        stmt = (
            update(channel_atp)
            .where(c.channel_id == bindparam("k_ch"), c.variant_id == bindparam("k_v"))
            .values(available=bindparam("value"))
        )
        await self.conn.execute(
            stmt, [{"k_ch": ch, "k_v": v, "value": values[(ch, v)]} for ch, v in keys]
        )

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        c = channel_atp.c
        found: dict[tuple[int, int], int] = {}
        for chunk in chunks(sorted(set(keys))):
            query = select(c.channel_id, c.variant_id, c.available).where(
                tuple_(c.channel_id, c.variant_id).in_(chunk)
            )
            for row in await self.conn.execute(query):
                found[(row.channel_id, row.variant_id)] = row.available
        return found

    async def kits_containing(
        self, component_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[tuple[int, int]]]]:
        k = kit_components.c
        kits: dict[int, tuple[str, list[tuple[int, int]]]] = {}
        for chunk in chunks(sorted(set(component_ids))):
            kit_ids = select(k.kit_id).where(k.component_id.in_(chunk)).scalar_subquery()
            query = (
                select(k.kit_id, variants.c.sku, k.component_id, k.quantity)
                .join(variants, variants.c.id == k.kit_id)
                .where(k.kit_id.in_(kit_ids))
            )
            for row in await self.conn.execute(query):
                _, parts = kits.setdefault(row.kit_id, (row.sku, []))
                if (row.component_id, row.quantity) not in parts:
                    parts.append((row.component_id, row.quantity))
        return kits

    async def position_availability(
        self, location_ids: Sequence[int]
    ) -> list[tuple[int, str, int, PositionState]]:
        """(variant id, sku, location id, state) for every position at these locations."""
        query = (
            select(
                _pos.variant_id,
                variants.c.sku,
                _pos.location_id,
                _pos.on_hand,
                _pos.allocated,
                _pos.reserved,
                _pos.safety_stock,
                _pos.unsellable,
            )
            .join(variants, variants.c.id == _pos.variant_id)
            .where(_pos.location_id.in_(list(location_ids)))
        )
        return [
            (
                row.variant_id,
                row.sku,
                row.location_id,
                PositionState(
                    row.on_hand, row.allocated, row.reserved, row.safety_stock, row.unsellable
                ),
            )
            for row in await self.conn.execute(query)
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
