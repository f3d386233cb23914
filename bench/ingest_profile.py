"""`inventorySet` in-process on atp.py's data: server and PostgreSQL CPU per batch of 1,000.

    .venv/bin/python bench/ingest_profile.py [--batches 40] [--senders 4] [--profile]
                                             [--out bench/profiles/NAME.txt] [--fresh]

atp.py's ingest run (10,000 SKUs x 100 locations, the `web` view of 50 locations; each of
4 senders updates 100 SKUs at 10 of its own locations per batch) sent straight to the
ASGI app, without HTTP and without the load generator, so that this process's CPU is the
server's own (the outbox relay included) and the PostgreSQL backends' CPU (from /proc,
by process title) is the statements'. `--profile` adds cProfile's own time per layer.
BENCH_DATABASE names the database (default orchestra_bench_ingest); it is kept between
runs (the counts move positions, not the shape of the data) unless `--fresh`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import make_url

from bench.atp import SET
from bench.atp_data import LOCATIONS, SKUS, load, location, sku
from bench.checkout import postgres_cpu
from bench.common import ADMIN_URL, admin_token, asyncpg_dsn, fresh_database, orchestra, started
from bench.cpu_profile import by_layer, call

DATABASE = os.environ.get("BENCH_DATABASE", "orchestra_bench_ingest")


def batches(count: int, senders: int, seed: int) -> list[list[bytes]]:
    """Per sender, `count` bodies shaped as atp.py's (its own locations, 10 x 100)."""
    groups = [
        [loc for loc in range(1, LOCATIONS + 1) if loc % senders == i] for i in range(senders)
    ]
    out = []
    for i, group in enumerate(groups):
        rng = random.Random(seed * 100 + i)
        bodies = []
        for _ in range(count):
            as_of = datetime.now(UTC).isoformat()
            updates = {
                (sku(rng.randint(1, SKUS)), loc): rng.randint(0, 40)
                for loc in rng.sample(group, 10)
                for _ in range(100)
            }
            variables = {
                "updates": [
                    {"sku": s, "location": location(loc), "onHand": n, "asOf": as_of}
                    for (s, loc), n in updates.items()
                ]
            }
            bodies.append(json.dumps({"query": SET, "variables": variables}).encode())
        out.append(bodies)
    return out


async def drive(
    url: str, secret: str, work: list[list[bytes]], profile: bool
) -> tuple[float, float, float, int]:
    """(wall s, this process's CPU s, PostgreSQL CPU s, updates applied) of the run."""
    os.environ["ORCHESTRA_DATABASE_URL"] = url
    os.environ["ORCHESTRA_RESPONSE_CACHE_TTL"] = "0"
    from server.app import create_app

    app = create_app()
    running = await started(app)
    applied = 0

    async def send(body: bytes) -> None:
        nonlocal applied
        answer = json.loads(await call(app, body, secret))
        result = answer.get("data", {}) and answer["data"]["inventorySet"]
        if not result or result["userErrors"]:
            raise RuntimeError(str(answer)[:500])
        applied += result["applied"]

    async def sender(bodies: list[bytes]) -> None:
        for body in bodies:
            await send(body)

    for bodies in work:  # warm caches (plans, reference data, prepared statements)
        await send(bodies.pop())
    await asyncio.sleep(1)  # let the relay sequence the warm-up's events
    applied = 0
    profiler = cProfile.Profile()
    pg_before = postgres_cpu(DATABASE)
    cpu = time.process_time()
    begun = time.perf_counter()
    if profile:
        profiler.enable()
    await asyncio.gather(*(sender(bodies) for bodies in work))
    await asyncio.sleep(0.6)  # the relay's last batch (it polls every 0.5 s at most)
    profiler.disable()
    wall = time.perf_counter() - begun
    cpu = time.process_time() - cpu
    pg = postgres_cpu(DATABASE) - pg_before
    await running.stop()
    profiler.dump_stats(f"/tmp/{DATABASE}.pstats")
    return wall, cpu, pg, applied


async def _vacuum(url: str) -> None:
    """Autovacuum is off on the shared bench server: without this, the dead rows of the
    previous runs (outbox, positions, channel ATP) would slow each run more than the last."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def _ready(url: str) -> bool:
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url))
    except Exception:
        return False
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM inventory_views"))
    except Exception:
        return False
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=40, help="measured, over all senders")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument(
        "--seed", type=int, default=int(time.time()), help="new counts on every run by default"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile by layer")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--fresh", action="store_true", help="reload the data set")
    args = parser.parse_args()
    url = make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    if args.fresh or not asyncio.run(_ready(url)):
        url = fresh_database(DATABASE)
        asyncio.run(load(url))
    else:
        orchestra(url, "db", "upgrade")
    asyncio.run(_vacuum(url))
    secret = admin_token(url)
    per_sender = max(args.batches // args.senders, 1)
    work = batches(per_sender + 1, args.senders, args.seed)
    wall, cpu, pg, applied = asyncio.run(drive(url, secret, work, args.profile))
    count = per_sender * args.senders
    summary = (
        f"inventorySet in-process, {count} batches of 1,000 from {args.senders} senders"
        f"{' under cProfile' if args.profile else ''}: server {cpu / count * 1000:.1f} ms CPU "
        f"per batch, PostgreSQL {pg / count * 1000:.1f} ms CPU per batch; "
        f"{applied / wall:,.0f} updates/s in-process ({wall / count * 1000:.0f} ms wall per batch)"
    )
    print(summary)
    if not args.profile:
        return
    report = io.StringIO()
    report.write(summary + "\n")
    stats = pstats.Stats(f"/tmp/{DATABASE}.pstats", stream=report)
    report.write(by_layer(stats, count))
    stats.sort_stats("tottime").print_stats(args.top)
    text = report.getvalue().replace(str(Path(sys.prefix)), "<venv>")
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
