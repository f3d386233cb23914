"""A short-lived result cache for public catalog queries (the storefront's hot path).

Compiled execution made an uncached listing several times cheaper, and a cached answer
is still cheaper again (see bench/README.md: the cache stays). Only queries whose every
field is catalog data (products, variants, prices, categories, channels) are cached;
anything touching inventory, tokens or mutations is not.

What an answer depends on is all in its key: the document, operation and variables, and
everything of the token that can change what it sees (kind, scopes, channel and location
bindings). The access guard runs first, so a cached answer is never shown to a caller who
could not have run the query.

Entries live `ttl` seconds (default 1 s). A catalog write through this process clears the
cache and starts a new generation: an execution that began before the write cannot store
its answer afterwards, and no request that starts after the write waits for one that began
before it. Other workers see a change within the TTL.

Identical requests arriving together execute once: the others wait for the first and
share its answer; when it fails, each of them executes on its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from server.access import document_requirements

MAX_ENTRIES = 10_000

Key = tuple[Any, ...]


class ResponseCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.generation = 0
        self._entries: OrderedDict[Key, tuple[float, ExecutionResult]] = OrderedDict()
        # (key, generation) -> the answer of the execution in flight (None if it failed)
        self.inflight: dict[tuple[Key, int], asyncio.Future[ExecutionResult | None]] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        """A catalog write: drop every entry and start a new generation."""
        self.generation += 1
        self._entries.clear()

    def get(self, key: Key) -> ExecutionResult | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: Key, result: ExecutionResult, generation: int) -> None:
        """Stores `result` unless a write happened since its execution began."""
        if generation != self.generation:
            return
        self._entries[key] = (time.monotonic(), result)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


def _copy(result: ExecutionResult) -> ExecutionResult:
    # Each request gets its own result object: strawberry sets per-request extensions on it.
    return ExecutionResult(data=result.data, errors=None)


class CachedCatalogResponses(SchemaExtension):
    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        cache = self.cache
        key = self._key() if cache.ttl > 0 and ctx.result is None else None
        if key is None:
            yield
            return
        generation = cache.generation
        slot = (key, generation)
        cached = cache.get(key)
        if cached is None:
            pending = cache.inflight.get(slot)
            if pending is not None:
                cached = await asyncio.shield(pending)
        if cached is not None:
            ctx.result = _copy(cached)
            yield
            return
        # Lead the executions of this key unless another request already does (one that
        # got a failed answer and now runs on its own).
        future: asyncio.Future[ExecutionResult | None] | None = None
        if slot not in cache.inflight:
            future = asyncio.get_running_loop().create_future()
            cache.inflight[slot] = future
        answer: ExecutionResult | None = None
        try:
            yield
            result = ctx.result
            if isinstance(result, ExecutionResult) and not result.errors:
                answer = _copy(result)
                cache.put(key, answer, generation)
        finally:
            if future is not None:
                if cache.inflight.get(slot) is future:
                    del cache.inflight[slot]
                future.set_result(answer)

    def _key(self) -> Key | None:
        ctx = self.execution_context
        if ctx.operation_type is not OperationType.QUERY or ctx.query is None:
            return None
        needed = document_requirements(ctx)
        if needed is None or not needed.catalog_only:
            return None
        token = getattr(ctx.context, "token", None)
        grants = (
            None
            if token is None
            else (token.kind, tuple(sorted(token.scopes)), token.channel, token.location)
        )
        variables = json.dumps(ctx.variables or {}, sort_keys=True, default=str)
        return (ctx.query, ctx.operation_name, variables, grants)
