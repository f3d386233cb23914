"""The floor under inventorySet: a bare Starlette + asyncpg endpoint applying a batch of
absolute counts with the same SQL statements and the same domain rules, without GraphQL,
authentication, the unit of work or the event bus.

    uvicorn --factory bench.bare_ingest:create_app   (BENCH_DSN=postgresql://...)

It takes atp.py's request body (`{"query": ..., "variables": {"updates": [...]}}`) and
answers `{"data": {"inventorySet": {"applied": n, "userErrors": []}}}`, so the same senders
drive it. Per batch: the SKUs' ids; the views, share-locked; the positions locked and
read, then their later movements; the counts applied (domain/inventory/ingest.py); the
positions and their journal saved; channel ATP moved; the published values and the
outbox rows written; commit; then the batch's events sequenced as the relay does (its
lock, its statement) and decoded. What it leaves out: validation beyond the domain's
quick check (the bench's counts are valid), kits (the bench has none), the locations'
version check (read once at start), and delivery to subscribers (there are none).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.bare_atp import load_locations
from domain.inventory.events import AvailabilityChanged
from domain.inventory.feed import PositionChange, atp_deltas, published_value
from domain.inventory.ingest import (
    CLOCK_SKEW,
    PositionState,
    SetUpdate,
    apply_set,
    is_stale,
    set_is_valid,
)
from persistence import direct
from persistence.outbox import _INSERT_PG, _outbox_arrays, outbox_rows
from persistence.outbox_log import _SEQUENCE_PG, RELAY_LOCK_KEY
from persistence.raw_writes import int_array, text_array
from persistence.repositories.channel_atp import (
    _ADD_DELTAS_PG,
    VIEWS_SHARED,
    set_available_pg,
    view_from_row,
)
from persistence.repositories.inventory import (
    _LOCK_AND_STATE_PG,
    _MOVEMENTS_PG,
    _SAVE_COUNTS_PG,
    _VARIANT_KEYS_PG,
)

_VIEWS_PG = direct.compiled(VIEWS_SHARED).sql
_OUTBOX_PG = f"WITH published AS ({set_available_pg(5)}) {_INSERT_PG}"
_RELAY_PG = _SEQUENCE_PG.element.text.replace(":limit", "$1").replace(":now", "$2")


def create_app() -> Starlette:
    state: dict[str, Any] = {}

    async def startup() -> None:
        pool = await asyncpg.create_pool(
            os.environ["BENCH_DSN"], min_size=4, max_size=10, init=_json_codec
        )
        state["pool"] = pool
        async with pool.acquire() as conn:
            state["locations"] = await load_locations(conn)
        state["by_code"] = {loc.code: loc.id for loc in state["locations"].values()}

    async def inventory_set(request: Request) -> Response:
        body = json.loads(await request.body())
        now = datetime.now(UTC)
        latest, times = now + CLOCK_SKEW, dict[datetime, bool]()
        updates = [
            SetUpdate(
                u["sku"],
                u["location"],
                u["onHand"],
                datetime.fromisoformat(u["asOf"]),
                u.get("unsellable"),
                u.get("safetyStock"),
            )
            for u in body["variables"]["updates"]
        ]
        updates = [u for u in updates if set_is_valid(u, latest, times)]
        applied = await _apply(state, updates, now) if updates else 0
        result = {"data": {"inventorySet": {"applied": applied, "userErrors": []}}}
        return Response(json.dumps(result), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await startup()
        yield
        await state["pool"].close()

    return Starlette(routes=[Route("/graphql", inventory_set, methods=["POST"])], lifespan=lifespan)


async def _json_codec(conn: asyncpg.Connection) -> None:
    """JSON columns decoded, JSON parameters sent as the text given (the outbox's array is
    encoded already), as SQLAlchemy's dialect has asyncpg do for the server."""
    await conn.set_type_codec("json", encoder=str, decoder=json.loads, schema="pg_catalog")


async def _apply(state: dict[str, Any], updates: list[SetUpdate], now: datetime) -> int:
    by_code: dict[str, int] = state["by_code"]
    async with state["pool"].acquire() as conn, conn.transaction():
        variants = {
            sku: variant_id
            for sku, variant_id, _ in await conn.fetch(
                _VARIANT_KEYS_PG, text_array({u.sku for u in updates})
            )
        }
        views = [
            (view_from_row(direct.Row(r)), r["channel_code"]) for r in await conn.fetch(_VIEWS_PG)
        ]
        wanted: dict[tuple[int, int], SetUpdate] = {}
        for u in updates:
            wanted.setdefault((variants[u.sku], by_code[u.location]), u)
        keys = sorted(wanted)
        variant_ids = int_array(v for v, _ in keys)
        location_ids = int_array(loc for _, loc in keys)
        since = min(u.as_of for u in wanted.values())
        states = {
            (r[0], r[1]): r for r in await conn.fetch(_LOCK_AND_STATE_PG, variant_ids, location_ids)
        }
        movements: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
        for v, loc, at, delta in await conn.fetch(_MOVEMENTS_PG, variant_ids, location_ids, since):
            movements.setdefault((v, loc), []).append((at, delta))
        counted, changes = [], []
        for key in keys:
            update = wanted[key]
            row = states[key]
            before = PositionState(row[2], row[3], row[4], row[5], row[6], row[7])
            if is_stale(before, update.as_of):
                continue
            after, _ = apply_set(before, update, movements.get(key, ()))
            counted.append((key, after, after.on_hand - before.on_hand))
            if before.available != after.available:
                changes.append(
                    PositionChange(key[0], update.sku, key[1], before.available, after.available)
                )
        if counted:
            as_of = [s.last_as_of for _, s, _ in counted]
            same = as_of[0] if as_of.count(as_of[0]) == len(as_of) else None
            await conn.execute(
                _SAVE_COUNTS_PG,
                int_array(k[0] for k, _, _ in counted),
                int_array(k[1] for k, _, _ in counted),
                int_array(s.on_hand for _, s, _ in counted),
                int_array(s.safety_stock for _, s, _ in counted),
                int_array(s.unsellable for _, s, _ in counted),
                [] if same is not None else as_of,
                int_array(d for _, _, d in counted),
                now,
                same,
            )
        deltas = atp_deltas(changes, [view for view, _ in views], state["locations"])
        skus = {c.variant_id: c.sku for c in changes}
        by_channel = {view.channel_id: (view, code) for view, code in views}
        published: dict[tuple[int, int], int] = {}
        events = []
        if deltas:
            ordered = sorted(deltas.items())
            arrays = [int_array(row[i] for row in ((*k, *d) for k, d in ordered)) for i in range(5)]
            for kit, channel_id, variant_id, raw_total, last, _ in await conn.fetch(
                _ADD_DELTAS_PG, *arrays
            ):
                if kit:
                    continue
                view, code = by_channel[channel_id]
                value = published_value(raw_total, view)
                if value != last:
                    published[(channel_id, variant_id)] = value
                    events.append(
                        AvailabilityChanged(
                            sku=skus[variant_id], channel=code, available=value, at=now
                        )
                    )
        if events:
            topics, bodies, counts = _outbox_arrays(outbox_rows(events))
            pairs = sorted(published)
            await conn.execute(
                _OUTBOX_PG,
                topics,
                bodies,
                now,
                counts,
                int_array(c for c, _ in pairs),
                int_array(v for _, v in pairs),
                int_array(published[p] for p in pairs),
            )
    if events:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", RELAY_LOCK_KEY)
            # The payloads are decoded (the JSON codec), as the relay's are.
            await conn.fetch(_RELAY_PG, 1000, datetime.now(UTC))
    return len(counted)
