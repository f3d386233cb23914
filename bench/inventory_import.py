"""Inventory count import throughput and memory: generate a CSV, import it in a child process.

    .venv/bin/python bench/inventory_import.py --url postgresql+asyncpg://postgres@127.0.0.1/inv_bench
    .venv/bin/python bench/inventory_import.py --rows 200000 --url sqlite+aiosqlite:///./bench.db

Data set: the database is migrated, then gets (or reuses, when a previous run left them)
`--locations` warehouses `bench-loc-NN`, `rows / locations` variants `BENCH-0000000`...
and a channel `bench-web` whose inventory view counts every bench location, so the ATP
feed work of each batch is measured too. Nothing is deleted: use a scratch database.
Every run stamps its counts a minute before now, so they are applied, never stale.

The data set and the file are made by a first child process, the import runs in a
second (`python -m server.cli import inventory FILE`), and this parent imports only the
standard library. The figure printed is the import child's own peak RSS, from
`os.wait4`: `getrusage(RUSAGE_CHILDREN).ru_maxrss` would be the largest of *all* children,
the set-up one included. The parent stays small because Linux also counts, in a child's
peak, the parent's pages at the moment it spawned. Run it at two sizes (e.g. 200,000 and
1,000,000 rows) to see that memory stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from persistence.database import Database

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "bench-web"
PER_PRODUCT = 100
INSERT_CHUNK = 5_000


def sku(n: int) -> str:
    return f"BENCH-{n:07d}"


async def prepare(url: str, skus: int, location_count: int) -> list[str]:
    """Create what is missing of the bench data set; returns the location codes."""
    # Imported here so that the parent process, which only spawns and measures, stays small.
    from sqlalchemy import func, select

    from domain.inventory.views import ViewSpec, upsert_view
    from domain.locations.model import LocationKind
    from persistence.database import Database
    from persistence.tables import channels, locations, variants
    from persistence.uow import SqlUnitOfWork

    db = Database(url)
    now = datetime.now(UTC)
    codes = [f"bench-loc-{n:02d}" for n in range(location_count)]
    try:
        async with db.engine.begin() as conn:
            have = set((await conn.execute(select(locations.c.code))).scalars())
            new = [c for c in codes if c not in have]
            if new:
                await conn.execute(
                    locations.insert(),
                    [
                        {
                            "code": c,
                            "name": c,
                            "kind": LocationKind.WAREHOUSE.value,
                            "can_ship": True,
                            "can_pickup": n % 2 == 0,
                            "open_fulfillments": 0,
                            "created_at": now,
                        }
                        for n, c in enumerate(new)
                    ],
                )
            existing = (
                await conn.execute(
                    select(func.count()).select_from(variants).where(variants.c.sku.like("BENCH-%"))
                )
            ).scalar_one()
            for start in range(existing, skus, INSERT_CHUNK):
                await _add_variants(db, conn, start, min(skus, start + INSERT_CHUNK), now)
            channel = (
                await conn.execute(select(channels.c.id).where(channels.c.code == CHANNEL))
            ).scalar()
            if channel is None:
                await conn.execute(
                    channels.insert().values(
                        code=CHANNEL, name=CHANNEL, currency="USD", created_at=now
                    )
                )
        if channel is None:
            # Through the domain, once: a rebuild reads every position of the view.
            await upsert_view(CHANNEL, ViewSpec(CHANNEL, tuple(codes)), SqlUnitOfWork(db), now)
    finally:
        await db.dispose()
    return codes


async def _add_variants(
    db: Database, conn: AsyncConnection, start: int, end: int, now: datetime
) -> None:
    from sqlalchemy import select

    from persistence.tables import products, variants

    first_product, last_product = start // PER_PRODUCT, (end - 1) // PER_PRODUCT
    handles = [f"bench-p-{p}" for p in range(first_product, last_product + 1)]
    await conn.execute(
        db.insert(products)
        .values([{"handle": h, "title": h, "created_at": now} for h in handles])
        .on_conflict_do_nothing()
    )
    query = select(products.c.handle, products.c.id).where(products.c.handle.in_(handles))
    ids = {handle: id_ for handle, id_ in await conn.execute(query)}
    await conn.execute(
        variants.insert(),
        [
            {
                "product_id": ids[f"bench-p-{n // PER_PRODUCT}"],
                "sku": sku(n),
                "title": sku(n),
                "is_kit": False,
            }
            for n in range(start, end)
        ],
    )


def generate(path: Path, rows: int, codes: list[str]) -> None:
    """`rows` counts: every bench SKU at every bench location, stamped a minute ago."""
    as_of = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    rng = random.Random()  # new counts each run, so ATP moves and the feed path is measured
    per_sku = len(codes)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("sku,location,on_hand,as_of\n")
        for n in range(rows):
            s, loc = divmod(n, per_sku)
            file.write(f"{sku(s)},{codes[loc]},{rng.randrange(0, 500)},{as_of}\n")


def setup(url: str, rows: int, location_count: int, path: Path) -> None:
    """The first child: migrate, make the data set, write the file."""
    from persistence.migrate import upgrade

    upgrade(url)
    skus = -(-rows // location_count)
    started = time.perf_counter()
    codes = asyncio.run(prepare(url, skus, location_count))
    print(f"data set: {skus} SKUs x {len(codes)} locations, {time.perf_counter() - started:.1f} s")
    generate(path, rows, codes)
    print(f"file: {rows} rows, {path.stat().st_size / 1e6:.1f} MB", flush=True)


def run_import(url: str, path: Path, logs: Path) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB) of `orchestra import inventory` in a child."""
    env = {**os.environ, "ORCHESTRA_DATABASE_URL": url}
    started = time.perf_counter()
    with (logs / "out").open("w") as out, (logs / "err").open("w") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "import", "inventory", str(path)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        # wait4 gives this child's own rusage; ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, child.returncode, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--url", default=os.environ.get("ORCHESTRA_DATABASE_URL"))
    parser.add_argument("--setup-into", type=Path, help=argparse.SUPPRESS)  # the first child
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set ORCHESTRA_DATABASE_URL (use a scratch database)")
    if args.setup_into:
        setup(args.url, args.rows, args.locations, args.setup_into)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "counts.csv"
        subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--setup-into", str(path)], check=True
        )
        seconds, code, peak_kib = run_import(args.url, path, Path(tmp))
        print((Path(tmp) / "out").read_text(), end="")
        if code != 0:
            print((Path(tmp) / "err").read_text()[-4000:], file=sys.stderr)
            print(f"import failed with exit code {code}", file=sys.stderr)
            return 1
    print(f"wall seconds (incl. interpreter start): {seconds:.1f}")
    print(f"end-to-end rows/s: {args.rows / seconds:.0f}")
    print(f"import child peak RSS: {peak_kib / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
