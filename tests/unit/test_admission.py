"""Admission to the pool without a database: permits in arrival order, a bounded line
refused at once, bounded waits, nested checkouts served from the reserve, and no permit
lost to a cancelled waiter."""

from __future__ import annotations

import asyncio
from contextvars import copy_context
from typing import Any

import pytest

from persistence.admission import CLIENT, Admission, DatabaseBusy, Permit


def admission(
    permits: int = 1, reserve: int = 1, queue_limit: int = 100, wait_timeout: float = 60.0
) -> Admission:
    return Admission(permits, reserve=reserve, queue_limit=queue_limit, wait_timeout=wait_timeout)


def as_client(client: str, work: Any) -> asyncio.Task[Any]:
    """`work` as a task of `client` (what server/admission.py sets for each request)."""
    context = copy_context()
    context.run(CLIENT.set, client)
    return asyncio.create_task(work, context=context)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_waiters_are_served_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        gate = admission(permits=2)
        served: list[int] = []
        release = asyncio.Event()

        async def request(i: int) -> None:
            permit = await gate.acquire()
            served.append(i)
            if i < 2:
                await release.wait()  # the first two hold the pool while the rest queue
            else:
                await asyncio.sleep(0)
            gate.release(permit)

        tasks = [asyncio.create_task(request(i)) for i in range(30)]
        await _settle()
        assert gate.waiting == 28
        release.set()
        await asyncio.gather(*tasks)
        assert gate.in_use == 0
        return served

    assert asyncio.run(scenario()) == list(range(30))


def test_a_returned_permit_goes_to_the_first_waiter_not_to_a_newcomer() -> None:
    async def scenario() -> list[str]:
        gate = admission(permits=1)
        order: list[str] = []
        # Acquired in a task of its own: tasks made here must not inherit the permit.
        first = await asyncio.create_task(gate.acquire())

        async def wait(name: str) -> None:
            permit = await gate.acquire()
            order.append(name)
            gate.release(permit)

        waiter = asyncio.create_task(wait("waiter"))
        await _settle()
        gate.release(first)
        # The permit is the waiter's already: a newcomer asking now queues behind it.
        newcomer = asyncio.create_task(wait("newcomer"))
        await asyncio.gather(waiter, newcomer)
        return order

    assert asyncio.run(scenario()) == ["waiter", "newcomer"]


def test_a_full_line_is_refused_at_once() -> None:
    async def scenario() -> None:
        gate = admission(permits=1, queue_limit=2)
        held = await asyncio.create_task(gate.acquire())
        waiters = [asyncio.create_task(_acquire_and_release(gate)) for _ in range(2)]
        await _settle()
        assert gate.full

        async def newcomer() -> None:
            await gate.acquire()

        with pytest.raises(DatabaseBusy):
            await asyncio.create_task(newcomer())
        assert gate.stats.refused_full == 1
        gate.release(held)
        await asyncio.gather(*waiters)
        assert gate.in_use == 0
        assert not gate.full

    asyncio.run(scenario())


def test_no_waiting_at_all_with_a_queue_limit_of_zero() -> None:
    async def scenario() -> None:
        gate = admission(permits=1, queue_limit=0)
        assert not gate.full
        held = await asyncio.create_task(gate.acquire())
        assert gate.full
        with pytest.raises(DatabaseBusy):
            await asyncio.create_task(gate.acquire())
        gate.release(held)
        gate.release(await asyncio.create_task(gate.acquire()))

    asyncio.run(scenario())


def test_a_wait_past_the_timeout_is_refused_and_leaves_the_line() -> None:
    async def scenario() -> None:
        gate = admission(permits=1, wait_timeout=0.01)
        held = await asyncio.create_task(gate.acquire())
        with pytest.raises(DatabaseBusy):
            await asyncio.create_task(gate.acquire())
        assert gate.waiting == 0
        assert gate.stats.refused_timeout == 1
        gate.release(held)
        assert gate.in_use == 0

    asyncio.run(scenario())


def test_a_cancelled_waiter_takes_no_permit_with_it() -> None:
    async def scenario() -> None:
        gate = admission(permits=1)
        held = await asyncio.create_task(gate.acquire())
        cancelled = asyncio.create_task(gate.acquire())
        behind = asyncio.create_task(_acquire_and_release(gate))
        await _settle()
        gate.release(held)  # handed to the first waiter, which is cancelled in the same step
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        assert cancelled.cancelled()
        await behind  # ... and passed on to the next in line
        assert gate.in_use == 0
        assert gate.waiting == 0

    asyncio.run(scenario())


def test_nested_checkouts_use_the_reserve_when_every_permit_is_held() -> None:
    """Every request holds a permit and wants a second: new work would deadlock a plain
    pool; the nested checkouts go ahead of the line, from the reserve, one after another."""

    async def scenario() -> None:
        gate = admission(permits=2, reserve=1)
        done: list[int] = []
        all_holding = asyncio.Event()

        async def request(i: int) -> None:
            outer = await gate.acquire()
            if gate.in_use >= 2:
                all_holding.set()
            await all_holding.wait()
            inner = await gate.acquire()  # nested: this task holds `outer`
            await asyncio.sleep(0)
            gate.release(inner)
            gate.release(outer)
            done.append(i)

        await asyncio.wait_for(asyncio.gather(*(request(i) for i in range(10))), 5)
        assert sorted(done) == list(range(10))
        assert gate.in_use == 0
        assert gate.stats.nested == 10

    asyncio.run(scenario())


def test_a_task_made_under_a_held_permit_is_nested_and_one_made_before_is_not() -> None:
    async def scenario() -> None:
        gate = admission(permits=1, reserve=1)
        before = asyncio.create_task(_acquire_and_release(gate))  # made holding nothing
        outer = await gate.acquire()
        child = asyncio.create_task(gate.acquire())  # inherits `outer`: nested
        await _settle()
        assert gate.stats.nested == 1
        assert gate.waiting == 1  # `before` is new work: it waits for the pool
        gate.release(await child)
        gate.release(outer)
        await before
        # Once the parent's permit is released, a task made under it is new work again.
        nested = gate.stats.nested
        gate.release(await asyncio.create_task(gate.acquire()))
        assert gate.stats.nested == nested
        assert gate.in_use == 0

    asyncio.run(scenario())


async def _acquire_and_release(gate: Admission) -> None:
    permit: Permit = await gate.acquire()
    await asyncio.sleep(0)
    gate.release(permit)


def test_a_permit_released_twice_counts_once() -> None:
    async def scenario() -> None:
        gate = admission()
        permit = await gate.acquire()
        gate.release(permit)
        gate.release(permit)
        assert gate.in_use == 0

    asyncio.run(scenario())


def test_clients_take_turns_so_one_sending_many_does_not_starve_one_sending_few() -> None:
    async def scenario() -> list[str]:
        gate = admission(permits=1)
        served: list[str] = []
        held = await asyncio.create_task(gate.acquire())

        async def request(name: str) -> None:
            permit = await gate.acquire()
            served.append(name)
            await asyncio.sleep(0)
            gate.release(permit)

        bulk = [as_client("bulk", request(f"bulk{i}")) for i in range(20)]
        await _settle()
        shopper = [as_client("shop", request(f"shop{i}")) for i in range(2)]
        await _settle()
        gate.release(held)
        await asyncio.gather(*bulk, *shopper)
        return served

    served = asyncio.run(scenario())
    # The shopper came after 20 bulk checkouts, and waited for one of them only.
    assert served[:4] == ["bulk0", "shop0", "bulk1", "shop1"]
    assert served[4:] == [f"bulk{i}" for i in range(2, 20)]


def test_at_a_full_line_the_client_with_most_waiting_gives_way() -> None:
    async def scenario() -> None:
        gate = admission(permits=1, queue_limit=4)
        held = await asyncio.create_task(gate.acquire())
        bulk = [as_client("bulk", _acquire_and_release(gate)) for _ in range(4)]
        await _settle()
        assert gate.full
        assert gate.refuses("bulk")  # its own next checkout is refused...
        assert not gate.refuses("shop")  # ... another client's is not
        shopper = as_client("shop", _acquire_and_release(gate))
        await _settle()
        # bulk's latest checkout was refused to make room for the shopper's.
        assert [t.done() for t in bulk] == [False, False, False, True]
        with pytest.raises(DatabaseBusy):
            await bulk[3]
        with pytest.raises(DatabaseBusy):
            await as_client("bulk", gate.acquire())  # bulk still has the most: refused
        gate.release(held)
        await asyncio.gather(shopper, *bulk[:3])
        assert gate.stats.refused_full == 2
        assert gate.in_use == 0
        assert gate.waiting == 0

    asyncio.run(scenario())
