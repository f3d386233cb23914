"""Fair, bounded admission to a worker's PostgreSQL pool (issue 10, item 6).

SQLAlchemy's QueuePool makes a checkout wait when every connection is in use, but its
wait is not fair (a newcomer that finds a connection just returned takes it ahead of a
waiter already woken for it, and the waiter goes to the back of the line) and it gives
up only after 30 s: at 32 concurrent inventorySet batches over 20 connections, some
requests lost the race for 30 s and were answered UNAVAILABLE while others went round
again and again. Admission stands in front of the pool instead:

- one permit per connection; a permit that is released is handed straight to a waiter,
  never to whoever asks next;
- waiters queue per client (`CLIENT`: the token, or the client IP without one) and the
  clients take turns, each client's checkouts in arrival order: a client with 32 batches
  in line delays a shopper by one checkout, not by 32;
- the line is bounded (`queue_limit` checkouts) and so is each wait (`wait_timeout`):
  past either, a checkout is refused at once with `DatabaseBusy`, which every layer
  answers as 503 `UNAVAILABLE` with Retry-After, before the request does the work. At a
  full line the client with the most waiting gives way, not the newcomer with fewer;
- a checkout made while the same task already holds one (a raw read under a unit of
  work, a resolver gathered inside one) is *nested*: it is admitted ahead of new work and
  may use `reserve` permits beyond the pool's size (the engine's overflow). New work stops
  at `permits`, so when every permit is held by requests each waiting for a second
  connection, the reserve still serves them one after another: no deadlock, and nothing
  waits behind a pool timeout. Three levels deep would need a deeper reserve; the wait
  timeout still turns it into a refusal, never a hang.

As long as every checkout of the engine comes through here (persistence/database.py
makes sure of it), at most `permits + reserve` connections are out, which is the pool's
size plus its overflow: the pool itself never waits. Overflow connections are opened only
when nested checkouts meet a saturated pool.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# The permits taken in this context. asyncio tasks copy the context they are created in,
# so a task gathered under a held connection sees its parent's permit (the parent may be
# waiting for it while holding: nested); siblings gathered before any checkout do not. A
# permit says itself whether it is still held, because SQLAlchemy closes a connection in
# a task of its own, where setting this variable would not reach the caller's context.
_HELD: ContextVar[tuple[Permit, ...]] = ContextVar("orchestra_db_permits", default=())
# Who the work is for (server/admission.py sets it per request: the token, or the client
# IP without one); background jobs share the empty key. Clients take turns in the line.
CLIENT: ContextVar[str] = ContextVar("orchestra_db_client", default="")
RETRY_AFTER_SECONDS = 1


class DatabaseBusy(TimeoutError):
    """A checkout refused: the wait line was full, or the wait ran out. A TimeoutError, so
    that server/edge.py and server/masking.py answer it as UNAVAILABLE (retry later)."""

    retry_after = RETRY_AFTER_SECONDS


class Permit:
    """One connection's right to the pool, from admission to release."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = True


def _holds_one() -> bool:
    return any(permit.held for permit in _HELD.get())


def _hold(permit: Permit) -> Permit:
    _HELD.set((*(p for p in _HELD.get() if p.held), permit))
    return permit


@dataclass
class AdmissionStats:
    admitted: int = 0
    waited: int = 0  # of the admitted, those that queued first
    refused_full: int = 0
    refused_timeout: int = 0
    nested: int = 0
    wait_seconds: float = 0.0  # summed over the admitted that waited
    longest_wait: float = 0.0


class Admission:
    """Permits for one pool: nested checkouts first, then new work by client in turn."""

    def __init__(
        self, permits: int, *, reserve: int, queue_limit: int, wait_timeout: float
    ) -> None:
        if permits < 1 or reserve < 1:
            raise ValueError("admission needs at least one permit and one reserve permit")
        self.permits = permits
        self.capacity = permits + reserve
        self.queue_limit = queue_limit
        self.wait_timeout = wait_timeout
        self.in_use = 0
        self.stats = AdmissionStats()
        # New work, one line per client, in the order the clients' turns come round.
        self._lines: dict[str, deque[asyncio.Future[None]]] = {}
        self._queued = 0
        self._nested: deque[asyncio.Future[None]] = deque()  # holders wanting another

    @property
    def waiting(self) -> int:
        return self._queued + len(self._nested)

    @property
    def full(self) -> bool:
        """The line holds `queue_limit` checkouts of new work (and one more would wait)."""
        busy = self._queued > 0 or self.in_use >= self.permits
        return busy and self._queued >= self.queue_limit

    def refuses(self, client: str) -> bool:
        """Whether a new checkout of `client` would be refused now: the line is full and
        no other client has at least two more checkouts waiting in it than this one."""
        return self.full and self._longest_other(client) is None

    def _longest_other(self, client: str) -> str | None:
        """The client whose latest waiter would give way to a newcomer of `client`."""
        if not self._lines:
            return None
        longest = max(self._lines, key=lambda key: len(self._lines[key]))
        if len(self._lines.get(client, ())) + 1 >= len(self._lines[longest]):
            return None
        return longest

    async def acquire(self) -> Permit:
        """Wait for a permit in turn, or raise DatabaseBusy."""
        if _holds_one():
            self.stats.nested += 1
            if self.in_use < self.capacity:
                return self._take()
            return await self._wait(self._nested, None)
        if self._queued == 0 and self.in_use < self.permits:
            return self._take()
        client = CLIENT.get()
        if self.full:
            self._make_room(client)
        line = self._lines.get(client)
        if line is None:
            line = self._lines[client] = deque()
        self._queued += 1
        return await self._wait(line, client)

    def release(self, permit: Permit) -> None:
        if not permit.held:
            return
        permit.held = False
        self.in_use -= 1
        self._hand_over()

    def _take(self) -> Permit:
        self.in_use += 1
        self.stats.admitted += 1
        return _hold(Permit())

    def _make_room(self, client: str) -> None:
        """The line is full: refuse the newcomer, unless another client has more waiting
        (two more at least), in which case that client's latest checkout is refused
        instead. A client sending more than its share cannot push out one sending less."""
        self.stats.refused_full += 1
        busy = DatabaseBusy(
            f"database busy: {self.in_use} connections in use, {self._queued} checkouts waiting"
        )
        longest = self._longest_other(client)
        if longest is None:
            raise busy
        turn = self._lines[longest].pop()
        self._forget(longest)
        if not turn.done():  # (a cancelled waiter not yet gone from the line needs nothing)
            turn.set_exception(busy)

    def _forget(self, client: str) -> None:
        self._queued -= 1
        if not self._lines[client]:
            del self._lines[client]

    def _remove(self, line: deque[asyncio.Future[None]], client: str | None, turn: Any) -> None:
        if turn in line:
            line.remove(turn)
            if client is not None:
                self._forget(client)

    async def _wait(self, line: deque[asyncio.Future[None]], client: str | None) -> Permit:
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        line.append(turn)
        queued_at = loop.time()
        timer = loop.call_later(self.wait_timeout, self._expire, line, client, turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                # Handed a permit in the same instant the caller was cancelled: pass it on.
                self.in_use -= 1
                self._hand_over()
            else:
                self._remove(line, client, turn)
            raise
        finally:
            timer.cancel()
        # _hand_over counted the permit as in use already, so nobody could barge in.
        waited = loop.time() - queued_at
        stats = self.stats
        stats.admitted += 1
        stats.waited += 1
        stats.wait_seconds += waited
        stats.longest_wait = max(stats.longest_wait, waited)
        return _hold(Permit())

    def _expire(
        self, line: deque[asyncio.Future[None]], client: str | None, turn: asyncio.Future[None]
    ) -> None:
        if turn.done():
            return
        self._remove(line, client, turn)
        self.stats.refused_timeout += 1
        turn.set_exception(
            DatabaseBusy(f"database busy: no connection within {self.wait_timeout:g} s")
        )

    def _hand_over(self) -> None:
        # Nested checkouts first: their requests hold connections already, and finishing
        # admitted work is what frees the pool for the line behind it.
        while self._nested and self.in_use < self.capacity:
            self._grant(self._nested.popleft())
        # Then one checkout per client in turn, each client's own in arrival order.
        while self._queued and self.in_use < self.permits:
            client = next(iter(self._lines))
            line = self._lines.pop(client)
            turn = line.popleft()
            self._queued -= 1
            if line:
                self._lines[client] = line  # to the back: the next client's turn
            self._grant(turn)

    def _grant(self, turn: asyncio.Future[None]) -> None:
        if not turn.done():
            self.in_use += 1
            turn.set_result(None)
