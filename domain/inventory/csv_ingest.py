"""Streaming ingest of an inventory count file, shared by `orchestra import inventory` and the
`inventoryUpload` mutation.

The file is read line by line and applied in batches of `BATCH_SIZE` rows, so memory stays
flat whatever the file size. Each batch is one call of `apply` (one unit of work running
`set_inventory`), so a batch is the atomic unit: a batch that fails does not roll back the
batches committed before it. Re-running the whole file is safe: absolute counts with the
same asOf are idempotent (a repeated count yields the same onHand, an older one is stale).

Parsing is Python work and an apply mostly waits on the database, so they overlap: while
one batch is applied the next is parsed, and started at once unless it shares a SKU and
location with the one in flight (then it waits, so a position's counts apply in file
order). At most two batches are in flight, and results are accounted in file order. When
a batch fails, the one started after it is let finish rather than cancelled mid-commit; it
may have committed, but the summary stops before the failed batch, so `committed_through`
never claims a line whose batch did not commit.

Problems are reported per CSV line (the header is line 1) as ("file", "line", "<N>",
"<column>"); a bad line never stops the others. As in one `inventorySet` call, a SKU and
location repeated within a batch is a DUPLICATE error on the later line; repeated in
different batches, both are applied in file order (the later one wins, or is stale).
"""

from __future__ import annotations

import asyncio
import csv
from collections import deque
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
    # Every line up to here is committed (the last line of the last batch accounted).
    committed_through: int = 1

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
    problems: list[FieldError] = field(default_factory=list)  # parse errors, to last_line


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
    pipeline = _Pipeline(apply, summary)
    batch = _Batch()
    try:
        for line, row in _rows(reader, problems):
            summary.rows += 1
            batch.last_line = line
            parsed = parse_row(line, row) if row is not None else None
            if isinstance(parsed, SetUpdate):
                batch.updates.append(parsed)
                batch.lines.append(line)
                if len(batch.updates) >= batch_size:
                    await pipeline.submit(batch, problems)
                    batch = _Batch(last_line=line)
            elif parsed is not None:
                problems.append(parsed)
        await pipeline.submit(batch, problems)
        await pipeline.drain()
    except (Exception, asyncio.CancelledError) as error:
        # A failed apply, an unreadable file or a cancellation: settle what is in flight.
        await pipeline.abandon(cancel=isinstance(error, asyncio.CancelledError))
        raise
    return summary


class _Pipeline:
    """Batches in flight, oldest first: never more than two, applying or being parsed."""

    def __init__(self, apply: ApplyBatch, summary: IngestSummary) -> None:
        self._apply = apply
        self._summary = summary
        self._queue: deque[tuple[_Batch, set[tuple[str, str]], asyncio.Task[BatchResult]]]
        self._queue = deque()
        # After a failed batch nothing later is accounted: committed_through must stay
        # below the gap even if a later batch committed.
        self._failed = False

    async def submit(self, batch: _Batch, problems: list[FieldError]) -> None:
        """Start `batch` with the parse errors so far; return once only it is in flight."""
        batch.problems = problems.copy()
        problems.clear()
        keys = {(update.sku, update.location) for update in batch.updates}
        if self._queue and not keys.isdisjoint(self._queue[-1][1]):
            await self._settle_oldest()  # same position: its counts must apply in order
        # Otherwise both may run: set_inventory locks rows in sorted order, so batches that
        # share only a SKU's channel sums queue on them, as two inventorySet calls would.
        self._queue.append((batch, keys, asyncio.create_task(self._run(batch))))
        while len(self._queue) > 1:
            await self._settle_oldest()

    async def drain(self) -> None:
        while self._queue:
            await self._settle_oldest()

    async def abandon(self, *, cancel: bool) -> None:
        """Let what is in flight finish (a batch may be committing; cancel only if the import
        itself was, as a lone apply would be), accounting it while the order is unbroken."""
        while self._queue:
            batch, _, task = self._queue.popleft()
            if cancel:
                task.cancel()
            # wait() neither raises the task's error nor cancels the task if we are.
            await asyncio.wait([task])
            if task.cancelled() or task.exception() is not None:
                self._failed = True
            elif not self._failed:
                self._account(batch, task.result())

    async def _settle_oldest(self) -> None:
        batch, _, task = self._queue.popleft()
        try:
            result = await task
        except BaseException:
            self._failed = True
            raise
        self._account(batch, result)

    async def _run(self, batch: _Batch) -> BatchResult:
        # A batch of parse errors alone still queues, to be accounted in order.
        return await self._apply(batch.updates) if batch.updates else BatchResult()

    def _account(self, batch: _Batch, result: BatchResult) -> None:
        summary = self._summary
        summary.applied += result.applied
        summary.stale += result.stale
        summary.clamped += result.clamped
        errors = batch.problems + _to_lines(result.errors or [], batch)
        summary.add_errors(sorted(errors, key=_line_of))
        summary.committed_through = batch.last_line


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
