"""`orchestra import inventory FILE.csv`: absolute counts from a flat file.

Rows go through `set_inventory`, the same use case as the `inventorySet` mutation, in
batches of 5,000 (one unit of work each; see domain/inventory/csv_ingest.py for why a
failed batch leaves earlier ones committed and why re-running the file is safe).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from domain.access import Actor
from domain.errors import FieldError
from domain.inventory.csv_ingest import IngestSummary, ingest_csv
from domain.inventory.handlers import set_inventory
from domain.inventory.ingest import BatchResult, SetUpdate
from persistence.database import Database
from persistence.uow import SqlUnitOfWork

# The command line is an operator's tool: it may update every location.
CLI_ACTOR = Actor(name="cli:import inventory")


async def import_inventory_file(db: Database, path: str) -> int:
    """Import one file; summary on stdout, per-line errors on stderr; 0 only when clean."""

    async def apply(updates: Sequence[SetUpdate]) -> BatchResult:
        return await set_inventory(updates, CLI_ACTOR, SqlUnitOfWork(db), datetime.now(UTC))

    summary = IngestSummary()
    started = time.perf_counter()
    try:
        # A command-line process runs this one task: blocking reads stall nobody.
        with open(path, "rb") as file:  # noqa: ASYNC230
            await ingest_csv(file, apply, summary)
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:
        # Batches up to `committed_through` stay applied; the file can simply be re-run.
        print_errors(summary, sys.stderr)
        print_summary(summary, time.perf_counter() - started, sys.stdout)
        print(
            f"error: import stopped after line {summary.committed_through} "
            f"({type(error).__name__}: {error}); lines up to there are committed, "
            "re-running the whole file is safe",
            file=sys.stderr,
        )
        return 1
    print_errors(summary, sys.stderr)
    print_summary(summary, time.perf_counter() - started, sys.stdout)
    return 0 if summary.error_count == 0 else 1


def describe(error: FieldError) -> str:
    """`line 7, on_hand: INVALID: ...` for ("file", "line", "7", "on_hand")."""
    where = "file"
    if len(error.field) >= 3 and error.field[:2] == ("file", "line"):
        where = f"line {error.field[2]}" + (f", {error.field[3]}" if len(error.field) > 3 else "")
    return f"{where}: {error.code.value}: {error.message}"


def print_errors(summary: IngestSummary, out: TextIO) -> None:
    for error in summary.errors:
        print(describe(error), file=out)
    if summary.omitted_errors:
        print(f"... and {summary.omitted_errors} more", file=out)


def print_summary(summary: IngestSummary, seconds: float, out: TextIO) -> None:
    rate = summary.rows / seconds if seconds > 0 else 0.0
    print(f"rows read: {summary.rows}", file=out)
    print(f"applied: {summary.applied}", file=out)
    print(f"stale: {summary.stale}", file=out)
    print(f"clamped: {summary.clamped}", file=out)
    print(f"errors: {summary.error_count}", file=out)
    print(f"seconds: {seconds:.2f}", file=out)
    print(f"rows/s: {rate:.0f}", file=out)
