"""`orchestra export ledger`: each journal entry exported exactly once across runs, a
recorded range reproduced byte for byte, late entries not lost, concurrent runs never
sharing an entry.

Entries are dated on days of their own (in 2001-2003) so these batches hold only what the
test posted, whatever else the session's database holds."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from domain.ledger.export import COLUMNS
from domain.ledger.postings import Appeased, PaymentAuthorized, PaymentCaptured, post
from domain.ledger.recording import record
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from server import ledger_export
from server.cli import main as cli
from server.ledger_export import ledger_batch
from tests.conftest import run_cli, unique


def day(year: int, n: int) -> date:
    return date(year, 3, n)


async def _post(db: Database, at: datetime, amount: str, reference: str) -> int:
    async with SqlUnitOfWork(db) as uow:
        entry = await record(
            uow,
            PaymentAuthorized(reference=reference, currency="EUR", at=at, amount=Decimal(amount)),
        )
        await uow.commit()
    assert entry.id is not None
    return entry.id


def post_on(database_url: str, when: date, amount: str, reference: str, hour: int = 12) -> int:
    async def run() -> int:
        db = Database(database_url)
        try:
            at = datetime(when.year, when.month, when.day, hour, tzinfo=UTC)
            return await _post(db, at, amount, reference)
        finally:
            await db.dispose()

    return asyncio.run(run())


def export(database_url: str, start: date, end: date, fmt: str, target: Path) -> bytes:
    run_cli(
        "export",
        "ledger",
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        "--format",
        fmt,
        "--output",
        str(target),
        database_url=database_url,
    )
    return target.read_bytes()


def entry_ids(data: bytes) -> list[int]:
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    return sorted({int(row["entry_id"]) for row in rows})


def test_each_entry_is_exported_once_and_a_rerun_reproduces_the_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_export, "CHUNK", 2)  # batches stream in several chunks
    ref = unique("EXP")
    d1, d2, d3 = day(2001, 1), day(2001, 2), day(2001, 3)
    first = post_on(database_url, d1, "10.00", ref, hour=0)
    second = post_on(database_url, d1, "2.50", ref, hour=23)
    third = post_on(database_url, d2, "7.00", ref)
    outside = post_on(database_url, d3, "1.00", ref)

    batch = export(database_url, d1, d2, "csv", tmp_path / "a.csv")
    rows = list(csv.DictReader(io.StringIO(batch.decode())))
    assert tuple(rows[0]) == COLUMNS
    assert entry_ids(batch) == [first, second, third]
    assert [(r["entry_id"], r["line"], r["account_code"], r["debit"], r["credit"]) for r in rows][
        :2
    ] == [
        (str(first), "1", "AUTHORIZATIONS_OPEN", "10.00", "0.00"),
        (str(first), "2", "AUTHORIZATIONS_CONTRA", "0.00", "10.00"),
    ]
    assert rows[0]["account_number"] == "9100"
    assert rows[0]["entry_date"] == "2001-03-01"
    assert rows[0]["posted_at"] == "2001-03-01T00:00:00Z"
    assert rows[0]["reference"] == ref
    assert batch.endswith(b"\r\n")

    # Same range again: the same bytes, in either format's own rendering.
    assert export(database_url, d1, d2, "csv", tmp_path / "b.csv") == batch
    jsonl = export(database_url, d1, d2, "jsonl", tmp_path / "a.jsonl")
    assert [json.loads(line) for line in jsonl.splitlines()] == rows
    assert export(database_url, d1, d2, "jsonl", tmp_path / "b.jsonl") == jsonl

    # An entry dated in the exported range but committed after it ran is not lost: the
    # next batch takes it; the recorded range still reproduces its first file.
    late = post_on(database_url, d1, "3.00", ref, hour=6)
    assert export(database_url, d1, d2, "csv", tmp_path / "c.csv") == batch
    following = export(database_url, d3, d3, "csv", tmp_path / "d.csv")
    assert entry_ids(following) == sorted([late, outside])
    # A new range overlapping exported ones takes nothing already exported.
    assert entry_ids(export(database_url, d1, d3, "csv", tmp_path / "e.csv")) == []
    assert export(database_url, d3, d3, "csv", tmp_path / "f.csv") == following


def test_a_range_ending_before_it_starts_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORCHESTRA_DATABASE_URL", database_url)
    assert cli(["export", "ledger", "--from", "2002-03-02", "--to", "2002-03-01"]) == 1
    assert "before" in capsys.readouterr().err
    assert cli(["export", "ledger", "--from", "2002-03-01"]) == 2


def test_an_export_of_real_postings_balances_per_entry(database_url: str) -> None:
    """Captures and appeasements as handlers post them: every entry's lines in the file
    balance, amounts on the currency's grid."""
    when = datetime(2002, 5, 1, 9, tzinfo=UTC)
    ref = unique("EXP")

    async def run() -> bytes:
        db = Database(database_url)
        try:
            async with SqlUnitOfWork(db) as uow:
                for event in (
                    PaymentCaptured(reference=ref, currency="EUR", at=when, amount=Decimal("9.99")),
                    Appeased(
                        reference=ref, currency="EUR", at=when, amount=Decimal("1.5"), reason="late"
                    ),
                ):
                    await uow.ledger.append(post(event))
                await uow.commit()
            data, message = await ledger_batch(db, when.date(), when.date(), "csv")
            assert message.startswith("exported new batch")
            return data
        finally:
            await db.dispose()

    rows = list(csv.DictReader(io.StringIO(asyncio.run(run()).decode())))
    assert {r["event"] for r in rows} == {"payment.captured", "appeasement"}
    for entry in {r["entry_id"] for r in rows}:
        lines = [r for r in rows if r["entry_id"] == entry]
        assert sum(Decimal(r["debit"]) for r in lines) == sum(Decimal(r["credit"]) for r in lines)
    assert {r["memo"] for r in rows if r["event"] == "appeasement"} == {"late"}
    assert all(len(r["debit"].split(".")[1]) == 2 for r in rows)


def test_concurrent_runs_never_export_an_entry_twice(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent export runs need PostgreSQL (SQLite serializes writers)")
    start = day(2003, 1)
    ref = unique("EXP")
    posted = [
        post_on(database_url, start + timedelta(days=n % 5), f"{n + 1}.00", ref) for n in range(20)
    ]

    async def run() -> list[bytes]:
        db = Database(database_url)
        try:
            # Ten runs at once over overlapping ranges, two of them the same range.
            ranges = [
                (start + timedelta(days=a), start + timedelta(days=b))
                for a, b in (
                    (0, 4),
                    (0, 1),
                    (1, 2),
                    (2, 4),
                    (3, 3),
                    (0, 4),
                    (4, 4),
                    (1, 3),
                    (0, 0),
                    (2, 2),
                )
            ]
            results = await asyncio.gather(*(ledger_batch(db, a, b, "csv") for a, b in ranges))
            return [data for data, _ in results]
        finally:
            await db.dispose()

    files = asyncio.run(run())
    assert files[0] == files[5]  # the same range: one batch, reproduced
    exported = [i for n, data in enumerate(files) if n != 5 for i in entry_ids(data)]
    assert sorted(exported) == sorted(posted)  # every entry, none twice
