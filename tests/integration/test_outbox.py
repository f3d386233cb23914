"""The outbox as the event log: committed rows are sequenced once, in order, tailed by
every reader from where it stands, and old ones are purged without reusing numbers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar

from sqlalchemy import func, insert, select

from domain.events import DomainEvent
from persistence.clock import utcnow
from persistence.database import Database
from persistence.outbox import write_events
from persistence.outbox_log import last_sequenced, read_after
from persistence.tables import outbox
from subscriptions.fanout import Fanout
from subscriptions.relay import OutboxRelay
from subscriptions.tail import OutboxTail
from tests.conftest import unique


@dataclass(frozen=True, slots=True, kw_only=True)
class Counted(DomainEvent):
    topic: ClassVar[str] = "test-outbox-counted"

    run: str
    n: int


class Noted(Counted):
    """The same event under another topic."""

    __slots__ = ()
    topic: ClassVar[str] = "test-outbox-noted"


def _append_n(into: list[int], event: dict[str, Any]) -> None:
    into.append(event["n"])


async def _insert(db: Database, topic: str, numbers: range) -> None:
    async with db.engine.begin() as conn:
        now = utcnow()
        await conn.execute(
            insert(outbox),
            [{"topic": topic, "payload": {"n": n}, "created_at": now} for n in numbers],
        )


def test_committed_events_are_sequenced_once_and_every_tail_reads_them_in_order(
    database_url: str,
) -> None:
    async def scenario() -> dict[str, Any]:
        db = Database(database_url)
        relay = OutboxRelay(db)
        topic = unique("topic")
        fanouts = [Fanout(), Fanout()]
        tails = [OutboxTail(db, fanout, lambda: 0.05) for fanout in fanouts]
        received: list[list[int]] = [[], []]
        for fanout, got in zip(fanouts, received, strict=True):
            fanout.listen(topic, partial(_append_n, got))
        try:
            while await relay.relay_once():
                pass  # earlier tests' leftovers
            for tail in tails:
                await tail.catch_up()  # take the current end as the starting point
            await _insert(db, topic, range(3))
            await relay.relay_once()  # (a running app's relay may have stamped them first)
            again = await relay.relay_once()
            await _insert(db, topic, range(3, 5))
            await relay.relay_once()
            for tail in tails:
                await tail.catch_up()
            async with db.read() as conn:
                seqs = list(
                    (
                        await conn.execute(
                            select(outbox.c.seq)
                            .where(outbox.c.topic == topic)
                            .order_by(outbox.c.id)
                        )
                    ).scalars()
                )
            return {"again": again, "received": received, "seqs": seqs}
        finally:
            await db.dispose()

    result = asyncio.run(scenario())
    assert result["again"] == 0
    assert result["received"] == [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]
    seqs = result["seqs"]
    assert seqs == list(range(seqs[0], seqs[0] + 5))  # gapless, in id (commit) order


def test_purging_never_lets_a_sequence_number_be_reused(database_url: str) -> None:
    async def scenario() -> tuple[int, int, int, int]:
        db = Database(database_url)
        relay = OutboxRelay(db)
        topic = unique("topic")
        try:
            await _insert(db, topic, range(2))
            while await relay.relay_once():
                pass
            async with db.read() as conn:
                before = await last_sequenced(conn)
            purged = await relay.purge(utcnow() + timedelta(seconds=1))
            async with db.read() as conn:
                left = (
                    await conn.execute(
                        select(func.count()).select_from(outbox).where(outbox.c.topic == topic)
                    )
                ).scalar_one()
            await _insert(db, topic, range(1))
            await relay.relay_once()
            async with db.read() as conn:
                new_seq = (
                    await conn.execute(select(outbox.c.seq).where(outbox.c.topic == topic))
                ).scalar_one()
            return before, purged, left, new_seq
        finally:
            await db.dispose()

    before, purged, left, new_seq = asyncio.run(scenario())
    assert purged >= 2
    assert left == 0
    assert new_seq == before + 1


def test_a_run_of_events_shares_a_row_and_readers_see_one_number_per_event(
    database_url: str,
) -> None:
    """A commit's consecutive events of one topic are one outbox row (a batch of counts
    raises hundreds of AvailabilityChanged); the log readers see is as with a row each."""

    async def scenario() -> tuple[list[tuple[str, int, int]], list[tuple[int, str, int]]]:
        db = Database(database_url)
        relay = OutboxRelay(db)
        run = unique("run")
        kinds = [Counted, Counted, Counted, Noted, Counted, Counted]
        try:
            async with db.engine.begin() as conn:
                raised = [kind(run=run, n=n) for n, kind in enumerate(kinds)]
                assert await write_events(conn, raised) == 6
            while await relay.relay_once():
                pass  # (a running app's relay may have stamped them first)
            async with db.read() as conn:
                rows = [
                    (row.topic, row.events, row.seq)
                    for row in await conn.execute(
                        select(outbox.c.topic, outbox.c.events, outbox.c.seq, outbox.c.payload)
                        .where(outbox.c.topic.in_([Counted.topic, Noted.topic]))
                        .order_by(outbox.c.id)
                    )
                    if _run_of(row.payload) == run
                ]
                first = rows[0][2] - rows[0][1] + 1
                # A reader that stopped inside the first run gets the rest, each in turn.
                after = await read_after(conn, first + 1, 100)
            seen = [(e.seq, e.topic, e.payload["n"]) for e in after if e.payload["run"] == run]
            return rows, seen
        finally:
            await db.dispose()

    rows, seen = asyncio.run(scenario())
    first = rows[0][2] - 2
    assert rows == [
        (Counted.topic, 3, first + 2),
        (Noted.topic, 1, first + 3),
        (Counted.topic, 2, first + 5),
    ]
    assert seen == [
        (first + 2, Counted.topic, 2),
        (first + 3, Noted.topic, 3),
        (first + 4, Counted.topic, 4),
        (first + 5, Counted.topic, 5),
    ]


def _run_of(payload: Any) -> Any:
    return (payload[0] if isinstance(payload, list) else payload).get("run")
