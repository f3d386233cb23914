"""A short-lived result cache for public catalog queries (the storefront's hot path).

Only queries whose every field is catalog data (products, variants, prices, categories,
channels) are cached; anything touching inventory, tokens or mutations is not. Entries
live `ttl` seconds (default 1 s) and are dropped at once when this process writes to the
catalog; other workers see a change within the TTL. The key includes the token's channel
binding, and the access guard runs first, so a cached answer is never shown to a caller
who could not have run the query.
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


class ResponseCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, ExecutionResult]] = OrderedDict()
        self.inflight: dict[tuple[Any, ...], asyncio.Future[ExecutionResult | None]] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: tuple[Any, ...]) -> ExecutionResult | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: tuple[Any, ...], result: ExecutionResult) -> None:
        self._entries[key] = (time.monotonic(), result)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


class CachedCatalogResponses(SchemaExtension):
    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        key = self._key() if self.cache.ttl > 0 and ctx.result is None else None
        if key is None:
            yield
            return
        cached = self.cache.get(key)
        if cached is None:
            # One request per key executes when an entry expires; the others wait for it
            # instead of all executing the same query at once.
            pending = self.cache.inflight.get(key)
            if pending is not None:
                cached = await asyncio.shield(pending)
        if cached is not None:
            ctx.result = cached
            yield
            return
        future: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
        self.cache.inflight[key] = future
        try:
            yield
        finally:
            del self.cache.inflight[key]
            result = ctx.result
            ok = isinstance(result, ExecutionResult) and not result.errors
            if ok:
                self.cache.put(key, result)  # type: ignore[arg-type]
            future.set_result(result if ok else None)  # type: ignore[arg-type]

    def _key(self) -> tuple[Any, ...] | None:
        ctx = self.execution_context
        if ctx.operation_type is not OperationType.QUERY or ctx.query is None:
            return None
        needed = document_requirements(ctx)
        if needed is None or not needed.catalog_only:
            return None
        token = getattr(ctx.context, "token", None)
        variables = json.dumps(ctx.variables or {}, sort_keys=True, default=str)
        return (ctx.query, ctx.operation_name, variables, token.channel if token else None)
