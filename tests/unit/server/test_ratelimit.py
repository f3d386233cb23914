"""Token buckets: refill arithmetic, Retry-After, leases through Redis, and Redis outages."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from server.ratelimit import LEASE_SHARE, LocalBuckets, RedisBuckets, Rule

RULE = Rule(capacity=10, per_second=2)


def test_a_bucket_refills_at_its_rate_up_to_its_capacity() -> None:
    buckets = LocalBuckets()
    assert buckets.take_now("k", 10, RULE, now=0.0).allowed
    refused = buckets.take_now("k", 3, RULE, now=1.0)  # 2 back after one second
    assert not refused.allowed
    assert refused.remaining == 2
    assert refused.retry_after == 0.5
    assert refused.retry_seconds == 1
    assert buckets.take_now("k", 3, RULE, now=1.5).allowed
    assert buckets.take_now("k", 10, RULE, now=100.0).allowed  # never above capacity
    assert not buckets.take_now("k", 1, RULE, now=100.0).allowed


def test_keys_are_independent() -> None:
    buckets = LocalBuckets()
    assert buckets.take_now("a", 10, RULE, now=0.0).allowed
    assert buckets.take_now("b", 10, RULE, now=0.0).allowed


def test_redis_down_falls_back_to_this_workers_buckets(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> list[bool]:
        buckets = RedisBuckets("redis://127.0.0.1:1/0")  # nothing listens on port 1
        try:
            return [(await buckets.take("k", 4, RULE)).allowed for _ in range(3)]
        finally:
            await buckets.close()

    assert asyncio.run(run()) == [True, True, False]
    assert "Redis unavailable" in caplog.text


REDIS = os.environ.get("ORCHESTRA_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS, reason="needs ORCHESTRA_TEST_REDIS_URL")
def test_two_workers_draw_from_one_redis_bucket() -> None:
    assert REDIS is not None
    rule = Rule(capacity=1_000, per_second=0.001)
    key = f"test:{uuid.uuid4().hex}"

    async def run() -> tuple[list[bool], list[bool]]:
        one, two = RedisBuckets(REDIS), RedisBuckets(REDIS)
        try:
            first = [(await one.take(key, 300, rule)).allowed for _ in range(2)]
            second = [(await two.take(key, 300, rule)).allowed for _ in range(2)]
            return first, second
        finally:
            await one.close()
            await two.close()

    first, second = asyncio.run(run())
    assert first == [True, True]
    assert second == [True, False]  # 1,000 in all: the fourth 300 does not fit


@pytest.mark.skipif(not REDIS, reason="needs ORCHESTRA_TEST_REDIS_URL")
def test_small_amounts_are_served_from_a_local_lease() -> None:
    assert REDIS is not None
    rule = Rule(capacity=10_000, per_second=1)
    key = f"test:{uuid.uuid4().hex}"
    lease = int(rule.capacity * LEASE_SHARE)

    async def run() -> list[float]:
        buckets = RedisBuckets(REDIS)
        calls = 0
        script = buckets._connect()

        async def counted(**kwargs: object) -> object:
            nonlocal calls
            calls += 1
            return await script(**kwargs)

        buckets._script = counted
        try:
            remaining = [(await buckets.take(key, 1, rule)).remaining for _ in range(lease)]
            return [float(calls), *remaining]
        finally:
            await buckets.close()

    calls, *remaining = asyncio.run(run())
    assert calls == 1  # one Redis call for `lease` requests
    assert remaining[0] == pytest.approx(rule.capacity - 1, abs=1)
