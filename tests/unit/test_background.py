"""Background loops stop between passes: a pass under way finishes, a wait is cut short,
and a pass that overruns the grace is cancelled (subscriptions/background.py)."""

from __future__ import annotations

import asyncio
import time

from subscriptions.background import Background


async def _passes(loop: Background, log: list[str], pass_seconds: float) -> None:
    while True:
        log.append("begin")
        await asyncio.sleep(pass_seconds)  # the pass: a transaction, say
        log.append("end")
        await loop.pause(3600)


def test_a_stop_lets_the_pass_under_way_finish() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        loop = Background()
        loop.start(_passes(loop, log, 0.2))
        await asyncio.sleep(0.05)  # mid-pass
        await loop.stop()
        return log

    assert asyncio.run(scenario()) == ["begin", "end"]


def test_a_stop_cuts_a_wait_short() -> None:
    async def scenario() -> tuple[list[str], float]:
        log: list[str] = []
        loop = Background()
        loop.start(_passes(loop, log, 0))
        await asyncio.sleep(0.05)  # waiting its hour
        started = time.monotonic()
        await loop.stop()
        return log, time.monotonic() - started

    log, took = asyncio.run(scenario())
    assert log == ["begin", "end"]
    assert took < 1


def test_a_pass_that_overruns_the_grace_is_cancelled() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        loop = Background(grace=0.1)
        loop.start(_passes(loop, log, 3600))
        await asyncio.sleep(0.05)
        await loop.stop()
        return log

    assert asyncio.run(scenario()) == ["begin"]


def test_a_wakeup_ends_the_wait_early_and_says_so() -> None:
    async def scenario() -> tuple[bool, bool]:
        loop = Background()
        wakeup = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, wakeup.set)
        woken = await loop.pause(3600, wakeup)
        timed_out = await loop.pause(0.01, asyncio.Event())
        return woken, timed_out

    assert asyncio.run(scenario()) == (True, False)
