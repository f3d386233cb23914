"""Catalog CSV import throughput: generate a file, import it, print rows per second.

    .venv/bin/python bench/catalog_import.py                 # 50,000 rows on a fresh SQLite file
    .venv/bin/python bench/catalog_import.py --rows 100000 --url postgresql+asyncpg://...

With --url the database is migrated first and gets new products with a random prefix
(nothing is deleted). Statements counts every statement sent, to show the import stays
set-based (a handful per thousand products, not one per row).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event

from domain.catalog.handlers import create_channel
from domain.catalog.model import CreateChannel
from persistence.database import Database
from persistence.migrate import upgrade
from persistence.uow import SqlUnitOfWork
from server.catalog_import import import_catalog_file

COLUMNS = "handle,title,description,category,sku,variant_title,unit_cost,prices,kit_components"


def generate(path: Path, rows: int, per_product: int, channels: list[str]) -> None:
    """`rows` variant rows, `per_product` per product; every tenth product is a kit."""
    prefix = uuid.uuid4().hex[:8]
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(COLUMNS + "\r\n")
        writer = csv.writer(file)
        for n in range(rows):
            p, v = divmod(n, per_product)
            first = v == 0
            prices = ";".join(f"{c}={p % 90 + 9}.{v}9" for c in channels)
            kit = f"{prefix}-{p - 1}-0*2".upper() if p % 10 == 9 and first else ""
            writer.writerow(
                [
                    f"p{prefix}-{p}",
                    f"Product {p}" if first else "",
                    f"Description of product {p}." if first else "",
                    "",
                    f"{prefix}-{p}-{v}".upper(),
                    f"Variant {v}",
                    "4.25",
                    prices,
                    kit,
                ]
            )


async def run(url: str, rows: int, per_product: int) -> None:
    db = Database(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    try:
        codes = []
        for currency in ("USD", "EUR"):
            code = f"bench-{uuid.uuid4().hex[:8]}"
            await create_channel(CreateChannel(code, code, currency), SqlUnitOfWork(db))
            codes.append(code)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "catalog.csv"
            generate(path, rows, per_product, codes)
            event.listen(db.engine.sync_engine, "before_cursor_execute", count)
            out = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out):
                status = await import_catalog_file(db, str(path))
            elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"import failed: {out.getvalue()}")
        print(out.getvalue().strip())
        print(
            f"{db.engine.dialect.name}: {rows} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s"
            f" ({statements} statements)"
        )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="variant rows (default 50000)")
    parser.add_argument("--variants", type=int, default=4, help="variants per product")
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        asyncio.run(run(url, args.rows, args.variants))


if __name__ == "__main__":
    main()
