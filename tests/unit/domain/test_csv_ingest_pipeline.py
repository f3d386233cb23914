"""The ingest loop's pipeline: two batches in flight at most, accounted in file order.

Driven with a fake `apply` that records when each batch starts and finishes, so the tests
see the overlap (or its absence) without a database. Batches are two rows each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from domain.errors import ErrorCode, FieldError
from domain.inventory.csv_ingest import IngestSummary, ingest_csv
from domain.inventory.ingest import BatchResult, SetUpdate

HEADER = b"sku,location,on_hand,as_of\n"
WHEN = "2025-03-01T10:00:00Z"


class Boom(Exception):
    """The database went away during one batch."""


@dataclass
class FakeApply:
    """Batches are named by their first SKU; `delay` and `fail` are keyed by that name."""

    summary: IngestSummary
    delay: dict[str, float] = field(default_factory=dict)
    fail: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # SKUs answered with NOT_FOUND
    events: list[tuple[str, str]] = field(default_factory=list)
    # committed_through as seen when each batch started
    committed_at_start: dict[str, int] = field(default_factory=dict)
    running: int = 0
    most_running: int = 0
    two_running: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, updates: Sequence[SetUpdate]) -> BatchResult:
        name = updates[0].sku
        self.events.append(("start", name))
        self.committed_at_start[name] = self.summary.committed_through
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        if self.running == 2:
            self.two_running.set()
        try:
            await asyncio.sleep(self.delay.get(name, 0.01))
            if name in self.fail:
                raise Boom(name)
        finally:
            self.running -= 1
            self.events.append(("end", name))
        errors = [
            FieldError(("updates", str(i), "sku"), ErrorCode.NOT_FOUND, "?")
            for i, update in enumerate(updates)
            if update.sku in self.unknown
        ]
        return BatchResult(applied=len(updates) - len(errors), errors=errors)

    def before(self, first: tuple[str, str], second: tuple[str, str]) -> bool:
        return self.events.index(first) < self.events.index(second)


def csv(rows: list[str]) -> list[bytes]:
    """Lines of a count file; each row is `sku,location[,on_hand]`."""
    body = [row if row.count(",") == 2 else f"{row},1" for row in rows]
    return [HEADER] + [f"{row},{WHEN}\n".encode() for row in body]


def run(lines: list[bytes], fake: FakeApply) -> IngestSummary:
    return asyncio.run(ingest_csv(lines, fake, fake.summary, batch_size=2))


def test_disjoint_batches_overlap_but_never_more_than_two() -> None:
    fake = FakeApply(IngestSummary())
    rows = [f"{sku},wh" for sku in "AaBbCcDdEe"]
    summary = run(csv(rows), fake)
    assert (summary.rows, summary.applied, summary.committed_through) == (10, 10, 11)
    assert fake.most_running == 2
    # B starts while A is still being applied.
    assert fake.before(("start", "B"), ("end", "A"))
    # ...but C waits for A: never a third batch in flight (or held).
    assert fake.before(("end", "A"), ("start", "C"))
    assert [name for kind, name in fake.events if kind == "start"] == list("ABCDE")


def test_a_batch_sharing_a_position_waits_for_the_one_in_flight() -> None:
    # B's batch repeats A's position (same SKU and location): it may not start before A
    # committed, though A is slow and B fast, so the later count wins as in the file.
    fake = FakeApply(IngestSummary(), delay={"A": 0.05})
    summary = run(csv(["A,wh,1", "X,wh", "B,wh", "A,wh,2"]), fake)
    assert fake.before(("end", "A"), ("start", "B"))
    assert fake.most_running == 1
    assert (summary.applied, summary.committed_through) == (4, 5)


def test_the_same_sku_at_another_location_is_not_a_conflict() -> None:
    fake = FakeApply(IngestSummary(), delay={"A": 0.05})
    run(csv(["A,wh", "X,wh", "B,wh", "A,store"]), fake)
    assert fake.before(("start", "B"), ("end", "A"))


def test_results_are_accounted_in_file_order_when_a_later_batch_finishes_first() -> None:
    fake = FakeApply(IngestSummary(), delay={"A": 0.05, "C": 0.05}, unknown={"A2", "B2"})
    lines = csv(["A,wh", "A2,wh", "bad,wh,x", "B,wh", "B2,wh", "C,wh", "bad,wh,y", "C2,wh"])
    summary = run(lines, fake)
    # B finished before A, yet A's errors and lines come first.
    assert fake.before(("end", "B"), ("end", "A"))
    assert [(e.field, e.code) for e in summary.errors] == [
        (("file", "line", "3", "sku"), ErrorCode.NOT_FOUND),
        (("file", "line", "4", "on_hand"), ErrorCode.INVALID),
        (("file", "line", "6", "sku"), ErrorCode.NOT_FOUND),
        (("file", "line", "8", "on_hand"), ErrorCode.INVALID),
    ]
    assert (summary.rows, summary.applied, summary.error_count) == (8, 4, 4)
    assert summary.committed_through == 9
    # B started before A's results were counted; C only once A and B (through line 6) were.
    assert fake.committed_at_start == {"A": 1, "B": 1, "C": 6}


def test_a_failed_batch_lets_the_next_finish_and_reports_only_what_precedes_it() -> None:
    # B fails while C, started alongside it, is still committing: C is not cancelled, but
    # it is not counted either, since B's lines (4-5) never committed.
    fake = FakeApply(IngestSummary(), delay={"B": 0.03, "C": 0.06}, fail={"B"})
    lines = csv(["A,wh", "A2,wh", "bad,wh,x", "B,wh", "B2,wh", "C,wh", "C2,wh", "D,wh"])
    with pytest.raises(Boom, match="B"):
        run(lines, fake)
    summary = fake.summary
    assert fake.before(("start", "C"), ("end", "B"))
    assert ("end", "C") in fake.events
    assert ("start", "D") not in fake.events
    assert (summary.applied, summary.committed_through) == (2, 3)
    # Line 4's parse error went with B's batch; as before, the re-run will report it.
    assert summary.errors == []


def test_a_batch_failing_behind_a_slow_one_still_counts_the_slow_one() -> None:
    fake = FakeApply(IngestSummary(), delay={"A": 0.05}, fail={"B"})
    with pytest.raises(Boom):
        run(csv(["A,wh", "A2,wh", "B,wh", "B2,wh", "C,wh"]), fake)
    assert fake.before(("end", "B"), ("end", "A"))
    assert (fake.summary.applied, fake.summary.committed_through) == (2, 3)


def test_a_read_error_mid_file_still_accounts_the_batch_in_flight() -> None:
    def lines() -> Iterator[bytes]:
        yield from csv(["A,wh", "A2,wh", "B,wh"])
        raise OSError("disk gone")

    fake = FakeApply(IngestSummary(), delay={"A": 0.05})
    with pytest.raises(OSError, match="disk gone"):
        asyncio.run(ingest_csv(lines(), fake, fake.summary, batch_size=2))
    assert (fake.summary.applied, fake.summary.committed_through) == (2, 3)
    assert ("start", "B") not in fake.events  # the partial batch is never applied


def test_cancelling_the_import_cancels_the_batches_in_flight() -> None:
    fake = FakeApply(IngestSummary(), delay={"A": 10, "B": 10})

    async def main() -> None:
        task = asyncio.create_task(
            ingest_csv(csv(["A,wh", "A2,wh", "B,wh", "B2,wh"]), fake, fake.summary, batch_size=2)
        )
        await fake.two_running.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 5))
    assert fake.running == 0
    assert (fake.summary.applied, fake.summary.committed_through) == (0, 1)
