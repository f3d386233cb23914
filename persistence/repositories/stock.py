"""Stock as orders use it: positions locked for sourcing, cart holds, allocation deltas,
incoming supply and daily capacity counters. Set-based SQL, one statement per step.

Locks are taken in the order domain/orders/ports.py states: positions (sorted by key, as
ingest does), then reservation rows, then incoming supply rows, then capacity counters
(sorted by location). SQLite has one writer (persistence/database.py), so it locks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView
from domain.orders.plan import IncomingStock
from domain.orders.ports import Hold, PositionDelta
from persistence import direct
from persistence.batch import pg_columns, row_parameters, unnest
from persistence.clock import aware
from persistence.database import Database, one_of_param
from persistence.repositories.channel_atp import (
    VIEWS_SHARED,
    SqlChannelAtpRepository,
    view_from_row,
)
from persistence.repositories.locations import VERSION_COLUMNS, SqlLocationRepository
from persistence.tables import (
    POSITION_QUANTITIES,
    backorders,
    fulfillment_counters,
    incoming_supply,
    inventory_positions,
    inventory_views,
    reservations,
    variants,
)

_pos = inventory_positions.c
_r = reservations.c
_fc = fulfillment_counters.c
_VIEW = select(inventory_views).where(inventory_views.c.channel_id == bindparam("channel_id"))
# PostgreSQL: with the locations' version, which a use case reading the view checks next
# (channel_scope: locations.all()): one round trip.
_VIEW_AND_LOCATIONS = (
    select(inventory_views, VERSION_COLUMNS)
    .select_from(inventory_views.join(VERSION_COLUMNS, true()))
    .where(inventory_views.c.channel_id == bindparam("channel_id"))
)
_AVAILABLE = _pos.on_hand - _pos.allocated - _pos.reserved - _pos.safety_stock - _pos.unsellable


def _hold(row: Any) -> Hold:
    return Hold(
        row.id, row.cart_id, (row.variant_id, row.location_id), row.quantity, aware(row.expires_at)
    )


class SqlStockRepository:
    def __init__(
        self,
        conn: AsyncConnection,
        db: Database,
        atp: SqlChannelAtpRepository | None = None,
        locations: SqlLocationRepository | None = None,
    ) -> None:
        self.conn = conn
        self.db = db
        self.atp = atp  # told the views share-locked with the deltas (adjust)
        self.locations = locations  # told the locations' version read with a view

    async def view(self, channel_id: int) -> InventoryView | None:
        if self.locations is not None and not self.db.is_sqlite:
            found = await direct.rows(self.conn, _VIEW_AND_LOCATIONS, {"channel_id": channel_id})
            if found:
                row = found[0]
                self.locations.version_read(
                    row.locations_count, row.locations_last_id, row.locations_created_at
                )
        else:
            found = await direct.rows(self.conn, _VIEW, {"channel_id": channel_id})
        return view_from_row(found[0]) if found else None

    async def positions(
        self,
        variant_ids: Sequence[int],
        location_ids: Sequence[int],
        *,
        lock: bool,
        include: Iterable[PositionKey] = (),
    ) -> dict[PositionKey, PositionState]:
        params = {
            "variant_ids": sorted(set(variant_ids)),
            "location_ids": sorted(set(location_ids)),
        }
        lock = lock and not self.db.is_sqlite
        extra = sorted(set(include))
        if extra:
            # Rare (a cart's holds, units an order operation gives back): built per call,
            # with the keys as OR-ed pairs the planner turns into index lookups.
            where = or_(
                _wanted(self.db.is_sqlite),
                *(and_(_pos.variant_id == v, _pos.location_id == loc) for v, loc in extra),
            )
            query = _positions_select(where, lock)
        else:
            query = _positions_query(self.db.is_sqlite, lock)
            found = await direct.execute(self.conn, query, params)
            if found is not None:
                return {(r[0], r[1]): PositionState(*r[2:]) for r in found}
        return {
            (v, loc): PositionState(*quantities)
            for v, loc, *quantities in await self.conn.execute(query, params)
        }

    async def adjust(self, deltas: Mapping[PositionKey, PositionDelta], now: datetime) -> None:
        changed = sorted((k, d) for k, d in deltas.items() if d != PositionDelta())
        if not changed:
            return
        values = [
            {
                "variant_id": v,
                "location_id": loc,
                "allocated": d.allocated,
                "reserved": d.reserved,
                "on_hand": d.on_hand,
            }
            for (v, loc), d in changed
        ]
        if self.db.is_sqlite:
            stmt = (
                update(inventory_positions)
                .where(
                    _pos.variant_id == bindparam("k_variant"),
                    _pos.location_id == bindparam("k_location"),
                )
                .values(
                    allocated=_pos.allocated + bindparam("d_allocated"),
                    reserved=_pos.reserved + bindparam("d_reserved"),
                    on_hand=_pos.on_hand + bindparam("d_on_hand"),
                    updated_at=bindparam("d_now"),
                )
            )
            params: Any = [
                {
                    "k_variant": r["variant_id"],
                    "k_location": r["location_id"],
                    "d_allocated": r["allocated"],
                    "d_reserved": r["reserved"],
                    "d_on_hand": r["on_hand"],
                    "d_now": now,
                }
                for r in values
            ]
            await self.conn.execute(stmt, params)
            return
        if self.atp is not None:
            arrays = [[r[name] for r in values] for name in _DELTA_COLUMNS]
            views = await direct.fetch(self.conn, _adjust_and_share_views(), *arrays, now)
            if views is not None:
                self.atp.share_locked_views([direct.Row(r) for r in views])
                return
        names, varying, params = row_parameters(values)
        params["now_one"] = now
        await self.conn.execute(_adjust_statement(names, varying), params)

    # ------------------------------------------------------------------ holds

    async def holds(self, cart_id: str) -> list[Hold]:
        query = select(reservations).where(_r.cart_id == cart_id).order_by(_r.id)
        return [_hold(row) for row in await self.conn.execute(query)]

    async def release_holds(
        self, keys: Iterable[PositionKey], cart_id: str | None, now: datetime
    ) -> list[Hold]:
        wanted = sorted(set(keys))
        if not wanted:
            return []
        whose = (
            _r.expires_at <= now
            if cart_id is None
            else or_(_r.cart_id == cart_id, _r.expires_at <= now)
        )
        if self.db.is_sqlite:
            stmt = delete(reservations).where(
                tuple_(_r.variant_id, _r.location_id).in_(wanted), whose
            )
            params: dict[str, Any] = {}
        else:
            # A join with the keys as arrays, not a tuple IN (see inventory.movements_since).
            keyed = unnest(reservations, ("variant_id", "location_id"))
            stmt = delete(reservations).where(
                _r.variant_id == keyed.c.variant_id, _r.location_id == keyed.c.location_id, whose
            )
            params = {
                "variant_id_list": [v for v, _ in wanted],
                "location_id_list": [loc for _, loc in wanted],
            }
        result = await self.conn.execute(stmt.returning(*reservations.c), params)
        return [_hold(row) for row in result]

    async def add_holds(
        self, cart_id: str, holds: Mapping[PositionKey, int], expires_at: datetime
    ) -> None:
        values = [
            {
                "cart_id": cart_id,
                "variant_id": v,
                "location_id": loc,
                "quantity": quantity,
                "expires_at": expires_at,
                "created_at": expires_at,
            }
            for (v, loc), quantity in sorted(holds.items())
            if quantity > 0
        ]
        if values:
            await self.conn.execute(insert(reservations), values)

    async def expired_holds(self, now: datetime, limit: int) -> list[Hold]:
        query = (
            select(reservations).where(_r.expires_at <= now).order_by(_r.expires_at).limit(limit)
        )
        return [_hold(row) for row in await self.conn.execute(query)]

    async def delete_expired(self, ids: Sequence[int], now: datetime) -> list[Hold]:
        if not ids:
            return []
        stmt = (
            delete(reservations)
            .where(self.db.one_of(_r.id, sorted(ids)), _r.expires_at <= now)
            .returning(*reservations.c)
        )
        return [_hold(row) for row in await self.conn.execute(stmt)]

    # ------------------------------------------------------------------ supply

    async def incoming(
        self, variant_ids: Sequence[int], location_ids: Sequence[int], today: date, *, lock: bool
    ) -> list[IncomingStock]:
        s = incoming_supply.c
        query = (
            select(variants.c.sku, s.location_id, s.quantity, s.expected_at)
            .join(variants, variants.c.id == s.variant_id)
            .where(
                self.db.one_of(s.variant_id, sorted(set(variant_ids))),
                self.db.one_of(s.location_id, sorted(set(location_ids))),
                s.expected_at >= today,
            )
            .order_by(s.id)
        )
        if lock and not self.db.is_sqlite:
            query = query.with_for_update(of=incoming_supply)
        return [
            IncomingStock(row.sku, row.location_id, row.quantity, row.expected_at)
            for row in await self.conn.execute(query)
        ]

    async def backordered(self, skus: Iterable[str]) -> dict[str, int]:
        b = backorders.c
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        query = (
            select(b.sku, func.sum(b.quantity)).where(self.db.one_of(b.sku, wanted)).group_by(b.sku)
        )
        return {sku: int(total) for sku, total in await self.conn.execute(query)}

    # ------------------------------------------------------------------ capacity

    async def capacity_used(self, location_ids: Sequence[int], day: date) -> dict[int, int]:
        if not location_ids:
            return {}
        query = select(_fc.location_id, _fc.assigned).where(
            self.db.one_of(_fc.location_id, sorted(set(location_ids))), _fc.day == day
        )
        return {row.location_id: row.assigned for row in await self.conn.execute(query)}

    async def take_capacity(
        self, counts: Mapping[int, int], capacities: Mapping[int, int], day: date
    ) -> set[int]:
        wanted = sorted((loc, n) for loc, n in counts.items() if n > 0 and loc in capacities)
        full = {loc for loc, n in wanted if n > capacities[loc]}
        if full or not wanted:
            return full
        savepoint = await self.conn.begin_nested()
        for location_id, n in wanted:
            stmt = self.db.insert(fulfillment_counters).values(
                location_id=location_id, day=day, assigned=n
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[_fc.location_id, _fc.day],
                set_={"assigned": _fc.assigned + stmt.excluded.assigned},
                where=_fc.assigned + stmt.excluded.assigned <= capacities[location_id],
            ).returning(_fc.location_id)
            if (await self.conn.execute(stmt)).first() is None:
                full.add(location_id)
        if full:
            # Releases the counters this attempt locked, so a retry locks in order again.
            await savepoint.rollback()
        else:
            await savepoint.commit()
        return full

    async def return_capacity(self, counts: Mapping[int, int], day: date) -> None:
        for location_id, n in sorted(counts.items()):
            if n <= 0:
                continue
            await self.conn.execute(
                update(fulfillment_counters)
                .where(_fc.location_id == location_id, _fc.day == day)
                .values(
                    assigned=func.max(_fc.assigned - n, 0)
                    if self.db.is_sqlite
                    else func.greatest(_fc.assigned - n, 0)
                )
            )


_DELTA_COLUMNS = ("variant_id", "location_id", "allocated", "reserved", "on_hand")


@cache
def _adjust_and_share_views() -> str:
    """PostgreSQL: add the deltas and, in the same round trip, share-lock and read the
    channel views, which `publish_changes` does next (channel_atp.views): the positions are
    locked already, so the view lock is taken where it was, after them."""
    return (
        "WITH adjusted AS (UPDATE inventory_positions AS p SET "
        "allocated = p.allocated + d.allocated, reserved = p.reserved + d.reserved, "
        "on_hand = p.on_hand + d.on_hand, updated_at = $6 "
        "FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::int[]) "
        "AS d(variant_id, location_id, allocated, reserved, on_hand) "
        "WHERE p.variant_id = d.variant_id AND p.location_id = d.location_id) "
        + direct.compiled(VIEWS_SHARED).sql
    )


@cache
def _adjust_statement(names: tuple[str, ...], varying: tuple[str, ...]) -> Any:
    """PostgreSQL: add the deltas of a batch of positions (built once per column shape)."""
    columns = pg_columns(inventory_positions, names, varying)
    return (
        update(inventory_positions)
        .where(
            _pos.variant_id == columns["variant_id"],
            _pos.location_id == columns["location_id"],
        )
        .values(
            allocated=_pos.allocated + columns["allocated"],
            reserved=_pos.reserved + columns["reserved"],
            on_hand=_pos.on_hand + columns["on_hand"],
            updated_at=bindparam("now_one", type_=inventory_positions.c.updated_at.type),
        )
    )


def _wanted(is_sqlite: bool) -> Any:
    """Positions of the variants at the locations (`variant_ids`, `location_ids`) with
    something available or held."""
    return and_(
        one_of_param(is_sqlite, _pos.variant_id, "variant_ids"),
        one_of_param(is_sqlite, _pos.location_id, "location_ids"),
        or_(_AVAILABLE > 0, _pos.reserved > 0),
    )


def _positions_select(where: Any, lock: bool) -> Any:
    query = (
        select(_pos.variant_id, _pos.location_id, *POSITION_QUANTITIES)
        .where(where)
        .order_by(_pos.variant_id, _pos.location_id)
    )
    if lock:
        # The row locks are taken in ORDER BY order (LockRows sits above the sort),
        # the same key order ingest's lock_positions uses: no deadlock between them.
        query = query.with_for_update()
    return query


@cache
def _positions_query(is_sqlite: bool, lock: bool) -> Any:
    """Built once: a checkout runs it twice (the quick check, then locked)."""
    return _positions_select(_wanted(is_sqlite), lock)
