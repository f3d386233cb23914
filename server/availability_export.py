"""`orchestra export availability --channel C`: the channel's full ATP feed as a file.

For partners who take files instead of the GraphQL `availability` query or the
`availabilityChanged` subscription. One record per SKU (variant id order):

    csv:   sku,available,ship_available,pickup_available,next_incoming
    jsonl: {"sku", "available", "shipAvailable", "pickupAvailable", "nextIncoming"}

`next_incoming` is the earliest future supply date (ISO 8601), empty/null when none.
The numbers come from the same domain formulas as the `availability` query
(`sku_atp`, `kit_atp`), over variants read in chunks of 1,000 by id, so memory stays
flat and the file agrees with what the API returns. PostgreSQL reads it all from one
REPEATABLE READ snapshot, so the file is consistent even while stock moves.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import KitComponent, Variant
from domain.inventory.model import IncomingSupply, InventoryView, earliest, variant_atp
from domain.locations.model import Location
from persistence import mappers
from persistence.database import Database
from persistence.reads import catalog as catalog_reads
from persistence.reads import inventory as inventory_reads
from persistence.reads.locations import all_locations
from persistence.tables import variants

CHUNK = 1_000
CSV_HEADER = ("sku", "available", "ship_available", "pickup_available", "next_incoming")


@dataclass(frozen=True, slots=True)
class FeedRecord:
    sku: str
    available: int
    ship_available: int
    pickup_available: int
    next_incoming: date | None


_Write = Callable[[FeedRecord], None]


async def export_availability(db: Database, channel: str, fmt: str, output: str) -> int:
    """Write the feed to `output` ("-" is stdout); a file appears whole or not at all."""
    async with db.read() as conn:
        if not db.is_sqlite:
            await conn.execution_options(isolation_level="REPEATABLE READ")
        channels = {c.code: c for c in await catalog_reads.all_channels(conn)}
        found = channels.get(channel)
        if found is None:
            print(f"error: unknown channel {channel!r}", file=sys.stderr)
            return 1
        views = await inventory_reads.all_views(conn)
        view = views.get(found.id) or InventoryView(0, found.id, found.code, ())
        locations = {location.id: location for location in await all_locations(conn)}
        today = datetime.now(UTC).date()
        count = 0
        with _target(output) as out:
            write = _csv_writer(out) if fmt == "csv" else _jsonl_writer(out)
            async for record in feed(conn, view, locations, today):
                write(record)
                count += 1
    print(f"exported {count} SKUs for channel {channel!r}", file=sys.stderr)
    return 0


async def feed(
    conn: AsyncConnection, view: InventoryView, locations: Mapping[int, Location], today: date
) -> AsyncIterator[FeedRecord]:
    """Every variant's record, four statements per chunk of 1,000 variants."""
    after = 0
    while True:
        rows = await conn.execute(
            select(variants).where(variants.c.id > after).order_by(variants.c.id).limit(CHUNK)
        )
        chunk = [mappers.variant(row) for row in rows]
        if not chunk:
            return
        after = chunk[-1].id
        for record in await _chunk_records(conn, chunk, view, locations, today):
            yield record


async def _chunk_records(
    conn: AsyncConnection,
    chunk: Sequence[Variant],
    view: InventoryView,
    locations: Mapping[int, Location],
    today: date,
) -> list[FeedRecord]:
    kit_ids = [v.id for v in chunk if v.is_kit]
    components = await catalog_reads.kit_components_of(conn, kit_ids) if kit_ids else {}
    known = {v.id: v for v in chunk}
    wanted = {p.component_id for parts in components.values() for p in parts} - set(known)
    if wanted:
        known.update(await catalog_reads.variants_by_ids(conn, sorted(wanted)))
    plain_ids = sorted(
        {v.id for v in chunk if not v.is_kit}
        | {p.component_id for parts in components.values() for p in parts}
    )
    location_ids = list(view.location_ids)
    by_variant: dict[int, dict[int, int]] = {}
    incoming: dict[int, IncomingSupply] = {}
    if plain_ids and location_ids:
        by_variant = await inventory_reads.available_at(conn, plain_ids, location_ids)
        incoming = await inventory_reads.earliest_incoming(conn, plain_ids, location_ids, today)
    return [
        _record(v, components.get(v.id, []), known, by_variant, incoming, locations, view)
        for v in chunk
    ]


def _record(
    variant: Variant,
    parts: Sequence[KitComponent],
    known: Mapping[int, Variant],
    by_variant: Mapping[int, Mapping[int, int]],
    incoming: Mapping[int, IncomingSupply],
    locations: Mapping[int, Location],
    view: InventoryView,
) -> FeedRecord:
    """One SKU, by the same domain composition as the `availability` query."""
    kit_parts = None
    if variant.is_kit:
        kit_parts = [
            (known[p.component_id].sku, by_variant.get(p.component_id, {}), p.quantity)
            for p in parts
        ]
    atp = variant_atp(variant.sku, by_variant.get(variant.id, {}), kit_parts, locations, view)
    sources = [p.component_id for p in parts] if variant.is_kit else [variant.id]
    supply = earliest(incoming.get(i) for i in sources)
    return FeedRecord(
        variant.sku,
        atp.available,
        atp.ship_available,
        atp.pickup_available,
        supply.expected_at if supply else None,
    )


@contextmanager
def _target(output: str) -> Iterator[TextIO]:
    """stdout, or a temporary file renamed into place once complete (never half a feed)."""
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = f"{output}.partial"
    try:
        with open(partial, "w", newline="", encoding="utf-8") as file:
            yield file
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _csv_writer(out: TextIO) -> _Write:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)

    def write(r: FeedRecord) -> None:
        day = r.next_incoming.isoformat() if r.next_incoming else ""
        writer.writerow((r.sku, r.available, r.ship_available, r.pickup_available, day))

    return write


def _jsonl_writer(out: TextIO) -> _Write:
    def write(r: FeedRecord) -> None:
        record = {
            "sku": r.sku,
            "available": r.available,
            "shipAvailable": r.ship_available,
            "pickupAvailable": r.pickup_available,
            "nextIncoming": r.next_incoming.isoformat() if r.next_incoming else None,
        }
        out.write(json.dumps(record, separators=(",", ":")) + "\n")

    return write
