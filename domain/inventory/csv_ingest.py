"""Streaming ingest of an inventory count file, shared by `orchestra import inventory` and the
`inventoryUpload` mutation.

The file is read line by line and applied in batches of `BATCH_SIZE` rows, so memory stays
flat whatever the file size. Each batch is one call of `apply` (one unit of work running
`set_inventory`), so a batch is the atomic unit: a batch that fails does not roll back the
batches committed before it. Re-running the whole file is safe: absolute counts with the
same asOf are idempotent (a repeated count yields the same onHand, an older one is stale).

Problems are reported per CSV line (the header is line 1) as ("file", "line", "<N>",
"<column>"); a bad line never stops the others. As in one `inventorySet` call, a SKU and
location repeated within a batch is a DUPLICATE error on the later line; repeated in
different batches, both are applied in file order (the later one wins, or is stale).
"""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from domain.errors import ErrorCode, FieldError, invalid
from domain.inventory.csv_rows import Row, check_header, line_path, parse_row
from domain.inventory.ingest import BatchResult, SetUpdate

BATCH_SIZE = 5_000
# Enough to fix a file by; a million bad rows must not become a million kept objects.
KEEP_ERRORS = 1_000

ApplyBatch = Callable[[Sequence[SetUpdate]], Awaitable[BatchResult]]

# set_inventory names update fields as the GraphQL input does; the file names columns.
_COLUMN_OF = {
    "sku": "sku",
    "location": "location",
    "onHand": "on_hand",
    "asOf": "as_of",
    "unsellable": "unsellable",
    "safetyStock": "safety_stock",
}


@dataclass(slots=True)
class IngestSummary:
    rows: int = 0
    applied: int = 0
    stale: int = 0
    clamped: int = 0
    error_count: int = 0
    errors: list[FieldError] = field(default_factory=list)  # the first KEEP_ERRORS, by line
    committed_through: int = 1  # last line of the last committed batch

    def add_errors(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < KEEP_ERRORS:
                self.errors.append(error)

    @property
    def omitted_errors(self) -> int:
        return self.error_count - len(self.errors)


@dataclass(slots=True)
class _Batch:
    updates: list[SetUpdate] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    last_line: int = 1


async def ingest_csv(
    lines: Iterable[bytes],
    apply: ApplyBatch,
    summary: IngestSummary,
    batch_size: int = BATCH_SIZE,
) -> IngestSummary:
    """Parse and apply a CSV given as raw lines; `summary` is filled in as batches commit.

    `summary` is the caller's so that, when `apply` raises (the database went away), the
    caller still knows what was committed before the exception propagates.
    """
    # Shared by every batch: the decoder and the reader report into it as they go.
    problems: list[FieldError] = []
    reader = csv.DictReader(_decoded(lines, problems, summary))
    try:
        header = [name.strip().lower() for name in reader.fieldnames or ()]
    except csv.Error as error:
        problems.append(invalid(line_path(1), f"Unreadable header: {error}."))
        header = []
    header_errors = check_header(header)
    if header_errors:
        summary.add_errors(problems + header_errors)
        return summary
    reader.fieldnames = header
    batch = _Batch()
    for line, row in _rows(reader, problems):
        summary.rows += 1
        batch.last_line = line
        parsed = parse_row(line, row) if row is not None else None
        if isinstance(parsed, SetUpdate):
            batch.updates.append(parsed)
            batch.lines.append(line)
            if len(batch.updates) >= batch_size:
                await _flush(batch, problems, apply, summary)
                batch = _Batch(last_line=line)
        elif parsed is not None:
            problems.append(parsed)
    await _flush(batch, problems, apply, summary)
    return summary


def _decoded(
    lines: Iterable[bytes], problems: list[FieldError], summary: IngestSummary
) -> Iterator[str]:
    """Decode line by line, so a bad byte costs its own line and is reported exactly there.

    A line that does not decode is passed on blank: csv skips it but still counts it, which
    keeps the reader's line numbers right.
    """
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            if number > 1:  # line 1 is the header, not a row
                summary.rows += 1
            problems.append(invalid(line_path(number), "The line is not valid UTF-8."))
            yield "\n"
            continue
        yield text.removeprefix("\ufeff") if number == 1 else text


def _rows(
    reader: csv.DictReader[str], problems: list[FieldError]
) -> Iterator[tuple[int, Row | None]]:
    """(line, row) pairs; a row the csv module cannot read is reported and yields None."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.append(invalid(line_path(reader.line_num), f"Unreadable CSV: {error}."))
            yield reader.line_num, None
            continue
        yield reader.line_num, row


async def _flush(
    batch: _Batch, problems: list[FieldError], apply: ApplyBatch, summary: IngestSummary
) -> None:
    errors = list(problems)
    problems.clear()
    if batch.updates:
        result = await apply(batch.updates)
        summary.applied += result.applied
        summary.stale += result.stale
        summary.clamped += result.clamped
        errors += _to_lines(result.errors or [], batch)
    summary.add_errors(sorted(errors, key=_line_of))
    summary.committed_through = batch.last_line


def _line_of(error: FieldError) -> int:
    return int(error.field[2]) if len(error.field) > 2 else 0


def _to_lines(errors: Sequence[FieldError], batch: _Batch) -> list[FieldError]:
    """Errors about update N of the batch become errors about that update's CSV line."""
    first_line: dict[tuple[str, str], int] = {}
    if any(error.code is ErrorCode.DUPLICATE for error in errors):
        for update, line in zip(batch.updates, batch.lines, strict=True):
            first_line.setdefault((update.sku, update.location), line)
    translated: list[FieldError] = []
    for error in errors:
        if len(error.field) != 3 or error.field[0] != "updates":
            translated.append(FieldError(("file",), error.code, error.message))
            continue
        index = int(error.field[1])
        line = batch.lines[index]
        message = error.message
        if error.code is ErrorCode.DUPLICATE:
            update = batch.updates[index]
            first = first_line[(update.sku, update.location)]
            message = f"Same SKU and location as line {first} in this batch."
        column = _COLUMN_OF.get(error.field[2], error.field[2])
        translated.append(FieldError(line_path(line, column), error.code, message))
    return translated
