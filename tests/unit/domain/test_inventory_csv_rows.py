"""Parsing one row of an inventory count file: pure, no database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from domain.errors import ErrorCode, FieldError
from domain.inventory.csv_ingest import IngestSummary, ingest_csv
from domain.inventory.csv_rows import check_header, parse_row
from domain.inventory.ingest import BatchResult, SetUpdate

ROW = {"sku": "TS-1", "location": "wh-1", "on_hand": "12", "as_of": "2025-03-01T10:00:00Z"}
ROW_CELLS: dict[str | None, object] = dict(ROW.items())


def test_a_full_row_becomes_a_set_update() -> None:
    row = {**ROW, "unsellable": "2", "safety_stock": " 1 ", "as_of": "2025-03-01T10:00:00+02:00"}
    assert parse_row(7, row) == SetUpdate(
        sku="TS-1",
        location="wh-1",
        on_hand=12,
        as_of=datetime(2025, 3, 1, 10, tzinfo=timezone(timedelta(hours=2))),
        unsellable=2,
        safety_stock=1,
    )


def test_empty_optional_columns_keep_the_current_values() -> None:
    parsed = parse_row(2, {**ROW, "unsellable": "", "safety_stock": ""})
    assert parsed == SetUpdate("TS-1", "wh-1", 12, datetime(2025, 3, 1, 10, tzinfo=UTC))


def test_a_naive_as_of_is_rejected_on_its_line() -> None:
    assert parse_row(5, {**ROW, "as_of": "2025-03-01T10:00:00"}) == FieldError(
        ("file", "line", "5", "as_of"),
        ErrorCode.INVALID,
        "as_of needs a UTC offset (e.g. 2025-01-31T18:00:00Z), got '2025-03-01T10:00:00'.",
    )


def test_a_bad_date_is_rejected() -> None:
    error = parse_row(3, {**ROW, "as_of": "yesterday"})
    assert isinstance(error, FieldError)
    assert error.field == ("file", "line", "3", "as_of")


def test_a_negative_on_hand_is_rejected() -> None:
    assert parse_row(4, {**ROW, "on_hand": "-3"}) == FieldError(
        ("file", "line", "4", "on_hand"), ErrorCode.INVALID, "on_hand must not be negative."
    )


def test_a_count_must_be_digits() -> None:
    for text in ("1.5", "abc", "1_000", "", "1e3"):
        error = parse_row(9, {**ROW, "on_hand": text})
        assert isinstance(error, FieldError), text
        assert error.field == ("file", "line", "9", "on_hand")


def test_a_wrong_column_count_names_the_line_only() -> None:
    # What csv.DictReader yields for a short row and for a long one.
    short: dict[str | None, object] = {**ROW_CELLS, "as_of": None}
    long: dict[str | None, object] = {**ROW_CELLS, None: ["extra"]}
    assert parse_row(6, short) == FieldError(
        ("file", "line", "6"), ErrorCode.INVALID, "Expected 4 columns, got 3."
    )
    assert parse_row(6, long) == FieldError(
        ("file", "line", "6"), ErrorCode.INVALID, "Expected 4 columns, got 5."
    )


def test_the_header_needs_the_required_columns_and_nothing_unknown() -> None:
    assert check_header(["sku", "location", "on_hand", "as_of", "unsellable"]) == []
    errors = check_header(["sku", "on_hand", "as_of", "safety_stok"])
    assert [e.message for e in errors] == [
        "Missing column(s): location.",
        "Unknown column(s): 'safety_stok'; expected sku, location, on_hand, as_of, "
        "unsellable, safety_stock.",
    ]
    assert check_header([])[0].field == ("file",)


def _ingest(text: bytes, batch_size: int = 2) -> tuple[IngestSummary, list[list[SetUpdate]]]:
    batches: list[list[SetUpdate]] = []

    async def apply(updates: Sequence[SetUpdate]) -> BatchResult:
        batches.append(list(updates))
        errors = []
        if any(u.sku == "UNKNOWN" for u in updates):
            index = next(i for i, u in enumerate(updates) if u.sku == "UNKNOWN")
            errors.append(FieldError(("updates", str(index), "sku"), ErrorCode.NOT_FOUND, "?"))
        return BatchResult(applied=len(updates) - len(errors), errors=errors)

    summary = asyncio.run(
        ingest_csv(text.splitlines(keepends=True), apply, IngestSummary(), batch_size)
    )
    return summary, batches


def test_the_loop_batches_rows_and_reports_errors_by_csv_line() -> None:
    text = (
        b"\xef\xbb\xbfsku,location,on_hand,as_of\r\n"
        b"A,wh,1,2025-03-01T10:00:00Z\r\n"
        b"B,wh,x,2025-03-01T10:00:00Z\r\n"
        b"C,wh,3,2025-03-01T10:00:00Z\r\n"
        b"UNKNOWN,wh,4,2025-03-01T10:00:00Z\r\n"
        b"\xff\xfe,wh,5,2025-03-01T10:00:00Z\r\n"
        b"E,wh,6,2025-03-01T10:00:00Z\r\n"
    )
    summary, batches = _ingest(text)
    assert [[u.sku for u in batch] for batch in batches] == [["A", "C"], ["UNKNOWN", "E"]]
    assert (summary.rows, summary.applied, summary.error_count) == (6, 3, 3)
    assert [(e.field, e.code) for e in summary.errors] == [
        (("file", "line", "3", "on_hand"), ErrorCode.INVALID),
        (("file", "line", "5", "sku"), ErrorCode.NOT_FOUND),
        (("file", "line", "6"), ErrorCode.INVALID),
    ]


def test_a_bad_header_applies_nothing() -> None:
    summary, batches = _ingest(b"sku,loc,on_hand,as_of\nA,wh,1,2025-03-01T10:00:00Z\n")
    assert batches == []
    assert summary.errors[0].field == ("file", "line", "1")


def test_a_repeated_position_in_a_batch_names_the_first_line() -> None:
    async def apply(updates: Sequence[SetUpdate]) -> BatchResult:
        message = "Same SKU and location as update 0 in this batch."
        return BatchResult(
            applied=1, errors=[FieldError(("updates", "1", "sku"), ErrorCode.DUPLICATE, message)]
        )

    text = b"sku,location,on_hand,as_of\nA,wh,1,2025-03-01T10:00:00Z\nA,wh,2,2025-03-01T10:00:00Z\n"
    summary = asyncio.run(ingest_csv(text.splitlines(keepends=True), apply, IngestSummary()))
    assert summary.errors == [
        FieldError(
            ("file", "line", "3", "sku"),
            ErrorCode.DUPLICATE,
            "Same SKU and location as line 2 in this batch.",
        )
    ]


def test_only_the_first_thousand_errors_are_kept() -> None:
    lines = [b"sku,location,on_hand,as_of\n"] + [b"A,wh,x,2025-03-01T10:00:00Z\n"] * 1_005
    summary, batches = _ingest(b"".join(lines))
    assert batches == []
    assert (summary.rows, summary.error_count, len(summary.errors)) == (1_005, 1_005, 1_000)
    assert summary.omitted_errors == 5
    assert summary.errors[-1].field == ("file", "line", "1001", "on_hand")
