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
from contextlib import asynccontextmanager
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


class Slot:
    """One request's turn at a key: the answer found, or the duty to report its own."""

    __slots__ = ("answer", "cached")

    def __init__(self, cached: ExecutionResult | None) -> None:
        self.cached = cached  # a copy of the stored or shared answer, or None: execute
        self.answer: ExecutionResult | None = None  # the executed result, set by the caller


@asynccontextmanager
async def serving(cache: ResponseCache, key: Key) -> AsyncIterator[Slot]:
    """The cached answer for `key`, or the turn to execute it: a request that leads the
    executions of its key stores its error-free answer and shares it with those waiting."""
    generation = cache.generation
    slot_key = (key, generation)
    cached = cache.get(key)
    if cached is None:
        pending = cache.inflight.get(slot_key)
        if pending is not None:
            cached = await asyncio.shield(pending)
    if cached is not None:
        yield Slot(_copy(cached))
        return
    # Lead the executions of this key unless another request already does (one that
    # got a failed answer and now runs on its own).
    future: asyncio.Future[ExecutionResult | None] | None = None
    if slot_key not in cache.inflight:
        future = asyncio.get_running_loop().create_future()
        cache.inflight[slot_key] = future
    stored: ExecutionResult | None = None
    try:
        slot = Slot(None)
        yield slot
        result = slot.answer
        if isinstance(result, ExecutionResult) and not result.errors:
            stored = _copy(result)
            cache.put(key, stored, generation)
    finally:
        if future is not None:
            if cache.inflight.get(slot_key) is future:
                del cache.inflight[slot_key]
            future.set_result(stored)


def key_for(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, token: Any
) -> Key:
    """Everything a catalog answer depends on: the document, operation and variables, and
    all of the token that can change what it sees."""
    grants = (
        None
        if token is None
        else (token.kind, tuple(sorted(token.scopes)), token.channel, token.location)
    )
    return (query, operation_name, json.dumps(variables or {}, sort_keys=True, default=str), grants)


class CachedCatalogResponses(SchemaExtension):
    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        key = self._key() if self.cache.ttl > 0 and ctx.result is None else None
        if key is None:
            yield
            return
        async with serving(self.cache, key) as slot:
            if slot.cached is not None:
                ctx.result = slot.cached
                yield
                return
            yield
            slot.answer = ctx.result  # type: ignore[assignment]

    def _key(self) -> Key | None:
        ctx = self.execution_context
        if ctx.operation_type is not OperationType.QUERY or ctx.query is None:
            return None
        needed = document_requirements(ctx)
        if needed is None or not needed.catalog_only:
            return None
        return key_for(
            ctx.query, ctx.operation_name, ctx.variables, getattr(ctx.context, "token", None)
        )
