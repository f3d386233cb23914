"""What `orchestra export ledger` costs for a month of postings, next to a bare dump of the
same journal lines in the same run (a plain SELECT written with the csv module: no batch,
no claim, no checksum), on a fresh PostgreSQL database.

The journal is generated in SQL (generate_series): `--entries` entries spread over 30 days,
alternating a 2-line authorization and a 4-line capture. The export runs as the CLI does,
in a child process, so its peak memory (max RSS) is measured on its own; then the same
range is exported again (a reproduction, checked against the recorded checksum).

    BENCH_ADMIN_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python bench/ledger_export.py [--entries 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ORCHESTRA, ROOT, drop_database, fresh_database

NAME = "bench_ledger_export"
GENERATE = """
INSERT INTO journal_entries (id, at, event, reference, memo)
SELECT n, TIMESTAMPTZ '2026-10-01 00:00:00+00' + (n * INTERVAL '30 days' / :entries),
       CASE WHEN n % 2 = 0 THEN 'payment.authorized' ELSE 'payment.captured' END,
       'ORD-' || (n / 2), ''
FROM generate_series(1, :entries) AS n;
"""
LINES = """
INSERT INTO journal_lines (entry_id, position, account, debit, credit, currency)
SELECT e.id, p.position, p.account,
       CASE WHEN p.debit THEN 19.99 ELSE 0 END, CASE WHEN p.debit THEN 0 ELSE 19.99 END, 'EUR'
FROM journal_entries e
JOIN (VALUES (0, 'AUTHORIZATIONS_OPEN', true, 2), (1, 'AUTHORIZATIONS_CONTRA', false, 2),
             (0, 'PAYMENT_CLEARING', true, 4), (1, 'AUTHORIZATIONS_CONTRA', true, 4),
             (2, 'ACCOUNTS_RECEIVABLE', false, 4), (3, 'AUTHORIZATIONS_OPEN', false, 4))
  AS p(position, account, debit, width)
  ON p.width = CASE WHEN e.event = 'payment.authorized' THEN 2 ELSE 4 END;
"""
BARE = """SELECT e.id, e.at, e.event, e.reference, l.position, l.account, l.debit, l.credit,
  l.currency FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
  ORDER BY e.id, l.position"""


async def generate(url: str, entries: int) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(GENERATE), {"entries": entries})
        await conn.execute(text(LINES))
        await conn.execute(text("SELECT setval('journal_entries_id_seq', :n)"), {"n": entries})
        for table in ("journal_entries", "journal_lines"):
            await conn.execute(text(f"ANALYZE {table}"))
    await engine.dispose()


async def bare_dump(url: str, target: Path) -> int:
    engine = create_async_engine(url)
    rows = 0
    async with engine.connect() as conn:
        result = await conn.stream(text(BARE))
        with target.open("w", newline="") as out:
            writer = csv.writer(out)
            async for row in result:
                writer.writerow(row)
                rows += 1
    await engine.dispose()
    return rows


def export(url: str, target: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the child, what it said."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [
            ORCHESTRA,
            "export",
            "ledger",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "-o",
            str(target),
        ],
        env={"ORCHESTRA_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024, done.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    args = parser.parse_args()
    url = fresh_database(NAME)
    try:
        asyncio.run(generate(url, args.entries))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            rows = asyncio.run(bare_dump(url, folder / "bare.csv"))
            bare = time.perf_counter() - started
            first, rss, said = export(url, folder / "first.csv")
            again, rss_again, said_again = export(url, folder / "again.csv")
            same = (folder / "first.csv").read_bytes() == (folder / "again.csv").read_bytes()
            size = (folder / "first.csv").stat().st_size / 2**20
        print(f"entries {args.entries:,}, lines {rows:,}")
        print(f"bare dump (SELECT + csv.writer, in process): {bare:.2f} s")
        print(f"export, new batch:   {first:.2f} s, peak RSS {rss:.0f} MiB, {size:.1f} MiB file")
        print(f"  {said}")
        print(
            f"export, re-run:      {again:.2f} s, peak RSS {rss_again:.0f} MiB, same bytes {same}"
        )
        print(f"  {said_again}")
        print(f"ratio export/bare: {first / bare:.2f} (new), {again / bare:.2f} (re-run)")
    finally:
        drop_database(NAME)


if __name__ == "__main__":
    main()
