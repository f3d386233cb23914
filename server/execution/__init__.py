"""Compiled execution of validated GraphQL documents (issue 10).

`install(schema)` makes the strawberry schema execute operations from plans compiled
once per document (server/execution/compile.py); operations a plan does not handle run
on graphql-core as before. Turned off with ORCHESTRA_COMPILED=0 (Settings.compiled).
"""

from __future__ import annotations

from typing import Any

from strawberry.schema import Schema

from server.execution.cache import PlanCache
from server.execution.compile import RawInputs
from server.execution.executor import CompiledExecutor


def raw_inputs() -> RawInputs:
    """Hot mutations that build domain commands straight from the coerced arguments."""
    from resolvers import fast_inputs

    return dict(fast_inputs.RAW_INPUTS)


def install(schema: Any, *, max_documents: int = 1024) -> PlanCache:
    """Make `schema` run operations from compiled plans; returns the plan cache."""
    if not isinstance(schema, Schema):
        raise TypeError("compiled execution needs a strawberry Schema")
    plans = PlanCache(schema, raw_inputs(), max_documents=max_documents)
    executor = type("SchemaCompiledExecutor", (CompiledExecutor,), {"plans": plans})
    schema.execution_context_class = executor
    return plans


__all__ = ["CompiledExecutor", "PlanCache", "install"]
