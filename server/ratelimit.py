"""Token buckets: in-process, or in Redis so that every worker draws from the same bucket.

A bucket holds up to `capacity` tokens and refills at `per_second`. Requests take one
token each; queries take their cost. With Redis, a worker does not ask Redis for every
request: it takes a lease of a few percent of the bucket and spends it locally, so the
hot path stays a dict lookup and Redis sees one call per lease. What a lease holds is
spent only by its worker; with N workers at most N leases are away from the bucket.

When Redis cannot be reached the worker falls back to its own buckets (and says so in
the log, at most once a minute), so a Redis outage never takes the API down with it.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("orchestra.limits")

MAX_KEYS = 100_000  # buckets kept per worker; a full bucket is the same as none
LEASE_SHARE = 0.02
REDIS_TIMEOUT = 0.25
KEY_PREFIX = "orchestra:bucket:"

# Refill, then grant `want` tokens, or everything when at least `need` is there.
# Redis' clock, not the workers', decides the refill.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local need = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local grant = 0
local retry = 0
if tokens >= want then
  grant = want
elseif tokens >= need then
  grant = tokens
else
  retry = (need - tokens) / rate
end
tokens = tokens - grant
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {tostring(grant), tostring(tokens), tostring(retry)}
"""


@dataclass(frozen=True, slots=True)
class Rule:
    capacity: float
    per_second: float

    @classmethod
    def per_minute(cls, amount: float) -> Rule:
        return cls(capacity=amount, per_second=amount / 60)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: float
    retry_after: float  # seconds until the refused amount is there; 0 when allowed

    @property
    def retry_seconds(self) -> int:
        """For a Retry-After header: whole seconds, at least 1."""
        return max(1, math.ceil(self.retry_after))


class Buckets(Protocol):
    async def take(self, key: str, amount: float, rule: Rule) -> Decision: ...

    async def close(self) -> None: ...


class LocalBuckets:
    """This worker's buckets, least recently used dropped past MAX_KEYS."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, amount: float, rule: Rule) -> Decision:
        return self.take_now(key, amount, rule, time.monotonic())

    def take_now(self, key: str, amount: float, rule: Rule, now: float) -> Decision:
        tokens, at = self._buckets.pop(key, (rule.capacity, now))
        tokens = min(rule.capacity, tokens + max(0.0, now - at) * rule.per_second)
        if tokens >= amount:
            decision = Decision(True, tokens - amount, 0.0)
            tokens -= amount
        else:
            decision = Decision(False, tokens, (amount - tokens) / rule.per_second)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return decision

    async def close(self) -> None:
        self._buckets.clear()


class RedisBuckets:
    """Buckets in Redis, spent through per-worker leases (see the module docstring)."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self.url = url
        self.prefix = f"{KEY_PREFIX}{namespace}:" if namespace else KEY_PREFIX
        self._client: Any = None
        self._script: Any = None
        self._leases: OrderedDict[str, float] = OrderedDict()
        self._fallback = LocalBuckets()
        self._warned_at = -math.inf

    def _connect(self) -> Any:
        if self._script is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                self.url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
            )
            self._script = self._client.register_script(_TAKE)
        return self._script

    async def take(self, key: str, amount: float, rule: Rule) -> Decision:
        leased = self._leases.pop(key, 0.0)
        if leased >= amount:
            self._keep(key, leased - amount)
            return Decision(True, leased - amount, 0.0)
        want = max(amount, rule.capacity * LEASE_SHARE)
        try:
            reply = await self._connect()(
                keys=[self.prefix + key],
                args=[rule.capacity, rule.per_second, want - leased, amount - leased],
            )
        except Exception as error:  # Redis down or slow: this worker decides alone
            self._keep(key, leased)
            self._warn(error)
            return await self._fallback.take(key, amount, rule)
        granted, left, retry = (float(part) for part in reply)
        total = leased + granted
        if total >= amount:
            self._keep(key, total - amount)
            return Decision(True, left + total - amount, 0.0)
        self._keep(key, total)
        return Decision(False, left + total, retry)

    def _keep(self, key: str, tokens: float) -> None:
        if tokens > 0:
            self._leases[key] = tokens
            while len(self._leases) > MAX_KEYS:
                self._leases.popitem(last=False)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits use per-worker buckets: Redis unavailable (%s)", error)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = self._script = None


def create_buckets(redis_url: str | None, namespace: str = "") -> Buckets:
    return RedisBuckets(redis_url, namespace) if redis_url else LocalBuckets()
