"""`orchestra import catalog FILE.csv`: create products from a CSV file, all or nothing.

The format is described in domain/catalog/rows.py and docs/catalog-import.md. Problems go
to stderr, one line each (`line N, column C: message`, sorted by line); the summary goes to
stdout. Exit status 0 when everything was imported, 1 when nothing was.
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy.exc import DBAPIError

from domain.catalog.bulk import import_products
from domain.catalog.rows import ParsedCatalog, read_catalog
from persistence.database import Database
from persistence.uow import SqlUnitOfWork


def _read(path: str) -> ParsedCatalog:
    # utf-8-sig drops the byte-order mark spreadsheet programs put first; newline="" is
    # what the csv module needs for quoted line breaks.
    with open(path, encoding="utf-8-sig", newline="") as file:
        return read_catalog(file)


async def import_catalog_file(db: Database, path: str) -> int:
    """Import one catalog CSV; print the per-row report and a summary; 0 on success."""
    try:
        parsed = await asyncio.to_thread(_read, path)
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        print("nothing imported: the file could not be read")
        return 1
    try:
        report = await import_products(parsed.products, SqlUnitOfWork(db), errors=parsed.errors)
    except DBAPIError as exc:
        # Validation passed but the database refused (a handle or SKU created by someone
        # else meanwhile, a value too long for its column); the transaction rolled back.
        print(f"the database rejected the import: {exc.orig}", file=sys.stderr)
        print("nothing imported: the database rejected the import")
        return 1
    for error in report.errors:
        print(error.message, file=sys.stderr)
    if report.errors:
        count = len(report.errors)
        print(f"nothing imported: {count} error{'' if count == 1 else 's'}")
        return 1
    print(f"imported {report.products} products with {report.variants} variants")
    return 0
