"""Inventory writes as set-based SQL: positions, the movement journal, incoming supply.

Every step is one statement per batch (see persistence/batch.py), whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.movements import Movement, MovementKind
from persistence import raw_writes
from persistence.batch import chunks, insert_rows, pg_rows, unnest
from persistence.clock import aware, utcnow
from persistence.database import Database
from persistence.tables import (
    POSITION_QUANTITIES,
    incoming_supply,
    inventory_movements,
    inventory_positions,
    variants,
)

LOCK_CHUNK = 10_000  # a whole batch: ON CONFLICT takes the row locks in key order
_pos = inventory_positions.c
_STATE = (
    _pos.variant_id,
    _pos.location_id,
    *POSITION_QUANTITIES,
    _pos.last_as_of,
)


# The counts' hot statements on PostgreSQL (persistence/raw_writes.py): constant SQL,
# one array per column, one statement per step whatever the batch size.
_VARIANT_KEYS_PG = "SELECT sku, id, is_kit FROM variants WHERE sku = ANY($1::text::text[])"
# See lock_positions: DO UPDATE .. WHERE false locks without writing a row version; the
# keys come sorted, so concurrent batches lock in the same order.
_LOCK_PG = """
INSERT INTO inventory_positions AS p
    (variant_id, location_id, on_hand, allocated, reserved, safety_stock, unsellable,
     updated_at)
SELECT w.v, w.l, 0, 0, 0, 0, 0, $3 FROM unnest($1::text::bigint[], $2::text::int[]) AS w(v, l)
ON CONFLICT (variant_id, location_id) DO UPDATE SET variant_id = excluded.variant_id
WHERE false"""
# The usual case, every position exists: lock and read in one statement. Rows are locked
# in key order (the lock is taken above the sort), so concurrent batches cannot deadlock;
# a row another transaction changed while we waited is returned as it committed it
# (READ COMMITTED re-reads a row it had to wait for). A position missing here (never
# counted before) sends the batch the old way, after rolling back to a savepoint taken
# before, which lets go of the rows locked meanwhile (holding them while creating and
# locking the rest could lock out of key order): _LOCK_PG creates and locks all of them
# in key order, then _STATE_AND_MOVEMENTS_PG reads.
_LOCK_AND_STATE_PG = """
SELECT p.variant_id, p.location_id, p.on_hand, p.allocated, p.reserved, p.safety_stock,
       p.unsellable, p.last_as_of
FROM unnest($1::text::bigint[], $2::text::int[]) AS w(v, l)
JOIN inventory_positions p ON p.variant_id = w.v AND p.location_id = w.l
ORDER BY w.v, w.l
FOR UPDATE OF p"""
# A statement of its own, after the locks, so that its snapshot sees every movement the
# positions' earlier holders committed. Counts are not movements to re-apply.
_MOVEMENTS_PG = """
SELECT m.variant_id, m.location_id, m.recorded_at, m.delta
FROM unnest($1::text::bigint[], $2::text::int[]) AS w(v, l)
JOIN inventory_movements m ON m.variant_id = w.v AND m.location_id = w.l
WHERE m.recorded_at > $3 AND m.kind <> 'set'"""
# A second statement, so that its snapshot (READ COMMITTED) is taken after the locks were
# granted: it reads what the last holder committed. Each position's later non-count
# movements come along as two aligned arrays (NULL when there are none).
_STATE_AND_MOVEMENTS_PG = """
SELECT p.variant_id, p.location_id, p.on_hand, p.allocated, p.reserved, p.safety_stock,
       p.unsellable, p.last_as_of, m.recorded, m.deltas
FROM unnest($1::text::bigint[], $2::text::int[]) AS w(v, l)
JOIN inventory_positions p ON p.variant_id = w.v AND p.location_id = w.l
CROSS JOIN LATERAL (
    SELECT array_agg(recorded_at) AS recorded, array_agg(delta) AS deltas
    FROM inventory_movements
    WHERE variant_id = p.variant_id AND location_id = p.location_id
      AND recorded_at > $3 AND kind <> 'set') AS m"""
# The counted positions and their journal rows, from the same arrays in one statement.
_SAVE_COUNTS_PG = """
WITH saved AS (
    UPDATE inventory_positions AS p
    SET on_hand = c.on_hand, safety_stock = c.safety, unsellable = c.unsellable,
        last_as_of = coalesce(c.as_of, $9), updated_at = $8
    FROM unnest($1::text::bigint[], $2::text::int[], $3::text::int[], $4::text::int[],
                $5::text::int[], $6::timestamptz[]) AS c(v, l, on_hand, safety, unsellable, as_of)
    WHERE p.variant_id = c.v AND p.location_id = c.l)
INSERT INTO inventory_movements (variant_id, location_id, kind, delta, reason, as_of, recorded_at)
SELECT j.v, j.l, 'set', j.d, 'count', coalesce(j.a, $9), $8
FROM unnest($1::text::bigint[], $2::text::int[], $7::text::int[], $6::timestamptz[])
    WITH ORDINALITY
    AS j(v, l, d, a, n)
ORDER BY j.n"""

Counted = tuple[PositionKey, PositionState, int]  # position, its new state, delta journaled


class SqlInventoryRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def variant_keys(self, skus: Iterable[str]) -> dict[str, tuple[int, bool]]:
        """SKU -> (variant id, is a kit), for the SKUs that exist: all ingest needs of a
        variant (mapping whole variants was a tenth of a batch's CPU)."""
        wanted = list(set(skus))
        if not self.db.is_sqlite:
            rows = await raw_writes.execute(
                self.conn, _VARIANT_KEYS_PG, raw_writes.text_array(wanted)
            )
            return {sku: (variant_id, is_kit) for sku, variant_id, is_kit in rows}
        v = variants.c
        found: dict[str, tuple[int, bool]] = {}
        for chunk in chunks(wanted):
            query = select(v.sku, v.id, v.is_kit).where(self.db.one_of(v.sku, chunk))
            for sku, variant_id, is_kit in await self.conn.execute(query):
                found[sku] = (variant_id, bool(is_kit))
        return found

    async def lock_counted(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> tuple[dict[PositionKey, PositionState], dict[PositionKey, list[tuple[datetime, int]]]]:
        """`lock_positions` and `movements_since` together: two statements on PostgreSQL
        (the locks with the states, then the movements), whatever the batch size; three
        when a position is new."""
        if self.db.is_sqlite:
            return await self.lock_positions(keys), await self.movements_since(keys, since)
        ordered = sorted(set(keys))
        variant_ids = raw_writes.int_array(v for v, _ in ordered)
        location_ids = raw_writes.int_array(loc for _, loc in ordered)
        await raw_writes.execute(self.conn, "SAVEPOINT lock_counted")
        locked = await raw_writes.execute(self.conn, _LOCK_AND_STATE_PG, variant_ids, location_ids)
        if len(locked) == len(ordered):
            await raw_writes.execute(self.conn, "RELEASE SAVEPOINT lock_counted")
            states = {
                (v, loc): PositionState(on_hand, allocated, reserved, safety, unsellable, as_of)
                for v, loc, on_hand, allocated, reserved, safety, unsellable, as_of in locked
            }
            movements: dict[PositionKey, list[tuple[datetime, int]]] = {}
            for v, loc, at, delta in await raw_writes.execute(
                self.conn, _MOVEMENTS_PG, variant_ids, location_ids, since
            ):
                movements.setdefault((v, loc), []).append((at, delta))
            return states, movements
        await raw_writes.execute(self.conn, "ROLLBACK TO SAVEPOINT lock_counted")
        await raw_writes.execute(self.conn, "RELEASE SAVEPOINT lock_counted")
        await raw_writes.execute(self.conn, _LOCK_PG, variant_ids, location_ids, utcnow())
        rows = await raw_writes.execute(
            self.conn, _STATE_AND_MOVEMENTS_PG, variant_ids, location_ids, since
        )
        states = {}
        movements = {}
        for v, loc, on_hand, allocated, reserved, safety, unsellable, as_of, at, deltas in rows:
            states[(v, loc)] = PositionState(
                on_hand, allocated, reserved, safety, unsellable, as_of
            )
            if at is not None:
                movements[(v, loc)] = list(zip(at, deltas, strict=True))
        return states, movements

    async def save_counts(self, counted: Sequence[Counted], now: datetime) -> None:
        """`save_positions` and `journal_counts` of applied counts (the journal's asOf is
        the state's `last_as_of`); one statement on PostgreSQL."""
        if not counted:
            return
        if self.db.is_sqlite:
            await self.save_positions({key: state for key, state, _ in counted}, now)
            journal = []
            for key, state, delta in counted:
                assert state.last_as_of is not None  # a count sets it
                journal.append((key, delta, state.last_as_of))
            await self.journal_counts(journal, now)
            return
        as_of = [state.last_as_of for _, state, _ in counted]
        # A batch's counts usually share their asOf: then it is sent once (an empty array
        # unnests as NULLs, and coalesce takes the one value).
        same = as_of[0] if as_of.count(as_of[0]) == len(as_of) else None
        await raw_writes.execute(
            self.conn,
            _SAVE_COUNTS_PG,
            raw_writes.int_array(key[0] for key, _, _ in counted),
            raw_writes.int_array(key[1] for key, _, _ in counted),
            raw_writes.int_array(state.on_hand for _, state, _ in counted),
            raw_writes.int_array(state.safety_stock for _, state, _ in counted),
            raw_writes.int_array(state.unsellable for _, state, _ in counted),
            [] if same is not None else as_of,
            raw_writes.int_array(delta for _, _, delta in counted),
            now,
            same,
        )

    async def lock_positions(self, keys: Sequence[PositionKey]) -> dict[PositionKey, PositionState]:
        """Create missing positions and lock all of them, keys sorted so that concurrent
        batches lock in the same order (no deadlock); returns their current state.
        """
        now = utcnow()
        states: dict[PositionKey, PositionState] = {}
        for chunk in chunks(sorted(set(keys)), LOCK_CHUNK):
            # The quantities of a new position come from the columns' defaults (0).
            rows = [{"variant_id": v, "location_id": loc, "updated_at": now} for v, loc in chunk]
            stmt, params = insert_rows(self.db, inventory_positions, rows)
            if self.db.is_sqlite:
                # One writer at a time: nothing to lock, RETURNING gives the state.
                stmt = stmt.on_conflict_do_update(
                    index_elements=[_pos.variant_id, _pos.location_id],
                    set_={"variant_id": stmt.excluded.variant_id},
                ).returning(*_STATE)
                result = await self.conn.execute(stmt, params)
            else:
                # DO UPDATE .. WHERE false locks every conflicting row without writing a
                # new version of it (PostgreSQL docs, INSERT "ON CONFLICT"); about half
                # the cost of a no-op update. It returns nothing, so read the state after.
                stmt = stmt.on_conflict_do_update(
                    index_elements=[_pos.variant_id, _pos.location_id],
                    set_={"variant_id": stmt.excluded.variant_id},
                    where=false(),
                )
                await self.conn.execute(stmt, params)
                wanted = unnest(inventory_positions, ("variant_id", "location_id"))
                query = select(*_STATE).join(
                    wanted,
                    and_(
                        _pos.variant_id == wanted.c.variant_id,
                        _pos.location_id == wanted.c.location_id,
                    ),
                )
                result = await self.conn.execute(
                    query,
                    {
                        "variant_id_list": [v for v, _ in chunk],
                        "location_id_list": [loc for _, loc in chunk],
                    },
                )
            # Plain tuples: attribute access on 5,000 rows showed in the profile.
            for v, loc, on_hand, allocated, reserved, safety, unsellable, as_of in result:
                states[(v, loc)] = PositionState(
                    on_hand,
                    allocated,
                    reserved,
                    safety,
                    unsellable,
                    aware(as_of) if as_of else None,
                )
        return states

    async def movements_since(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> dict[PositionKey, list[tuple[datetime, int]]]:
        m = inventory_movements.c
        wanted = set(keys)
        location_ids = sorted({loc for _, loc in wanted})
        found: dict[PositionKey, list[tuple[datetime, int]]] = {}
        # Two IN lists rather than a (variant, location) tuple IN: PostgreSQL plans a
        # 2,000-tuple IN as a 2,000-branch OR (about 0.8 s); pairs outside `keys` are
        # dropped here.
        for chunk in chunks(sorted({v for v, _ in wanted})):
            query = select(m.variant_id, m.location_id, m.recorded_at, m.delta).where(
                self.db.one_of(m.variant_id, chunk),
                self.db.one_of(m.location_id, location_ids),
                m.recorded_at > since,
                m.kind != "set",
            )
            for row in await self.conn.execute(query):
                key = (row.variant_id, row.location_id)
                if key in wanted:
                    found.setdefault(key, []).append((aware(row.recorded_at), row.delta))
        return found

    async def claim_events(self, movements: Sequence[Movement]) -> set[str]:
        """Journal each adjustment unless its (scope, event id) is; returns the new ids.

        On PostgreSQL an id another open transaction is inserting makes this wait for it
        (the unique index), so of two concurrent senders exactly one claims it. Rows go in
        event id order, so two batches claiming the same ids cannot deadlock.
        """
        m = inventory_movements.c
        claimed: set[str] = set()
        ordered = sorted(movements, key=lambda move: (move.scope or "", move.event_id or ""))
        for chunk in chunks(ordered):
            stmt, params = insert_rows(self.db, inventory_movements, [_row(mv) for mv in chunk])
            stmt = stmt.on_conflict_do_nothing(index_elements=[m.scope, m.event_id]).returning(
                m.event_id
            )
            claimed.update(row.event_id for row in await self.conn.execute(stmt, params))
        return claimed

    async def recorded_events(self, scope: str, event_ids: Iterable[str]) -> dict[str, Movement]:
        m = inventory_movements.c
        found: dict[str, Movement] = {}
        for chunk in chunks(sorted(set(event_ids))):
            query = select(inventory_movements).where(
                m.scope == scope, self.db.one_of(m.event_id, chunk)
            )
            for row in await self.conn.execute(query):
                found[row.event_id] = Movement(
                    row.variant_id,
                    row.location_id,
                    MovementKind(row.kind),
                    row.delta,
                    aware(row.recorded_at),
                    reason=row.reason,
                    as_of=aware(row.as_of) if row.as_of else None,
                    event_id=row.event_id,
                    scope=row.scope,
                )
        return found

    async def journal_counts(
        self, counts: Sequence[tuple[PositionKey, int, datetime]], recorded_at: datetime
    ) -> None:
        if not counts:
            return
        kind = MovementKind.SET.value
        rows = [
            {
                "variant_id": variant_id,
                "location_id": location_id,
                "kind": kind,
                "delta": delta,
                "event_id": None,
                "reason": "count",
                "as_of": as_of,
                "recorded_at": recorded_at,
                "scope": None,
            }
            for (variant_id, location_id), delta, as_of in counts
        ]
        stmt, params = insert_rows(self.db, inventory_movements, rows)
        await self.conn.execute(stmt, params)

    async def save_positions(
        self, states: Mapping[PositionKey, PositionState], now: datetime
    ) -> None:
        """Write back positions locked by `lock_positions`; allocated/reserved untouched."""
        if not states:
            return
        written = ("on_hand", "safety_stock", "unsellable", "last_as_of", "updated_at")
        rows = [
            {
                "variant_id": v,
                "location_id": loc,
                "on_hand": s.on_hand,
                "safety_stock": s.safety_stock,
                "unsellable": s.unsellable,
                "last_as_of": s.last_as_of,
                "updated_at": now,
            }
            for (v, loc), s in sorted(states.items())
        ]
        if self.db.is_sqlite:
            stmt = (
                update(inventory_positions)
                .where(
                    _pos.variant_id == bindparam("k_variant"),
                    _pos.location_id == bindparam("k_loc"),
                )
                .values({name: bindparam(name) for name in written})
            )
            params: Any = [
                {"k_variant": r["variant_id"], "k_loc": r["location_id"]}
                | {name: r[name] for name in written}
                for r in rows
            ]
        else:
            columns, params = pg_rows(inventory_positions, rows)
            stmt = (
                update(inventory_positions)
                .where(
                    _pos.variant_id == columns["variant_id"],
                    _pos.location_id == columns["location_id"],
                )
                .values({name: columns[name] for name in written})
            )
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


def _row(move: Movement) -> dict[str, Any]:
    return {
        "variant_id": move.variant_id,
        "location_id": move.location_id,
        "kind": move.kind.value,
        "delta": move.delta,
        "event_id": move.event_id,
        "reason": move.reason,
        "as_of": move.as_of,
        "recorded_at": move.recorded_at,
        "scope": move.scope,
    }
