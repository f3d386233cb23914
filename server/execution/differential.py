"""Proof of sameness: run a query both ways and compare what a client would receive.

While a Recorder is active (tests/compiled_differential.py turns one on for the whole
test suite; bench/differential.py for generated queries), every query that has a plan is
executed by graphql-core's executor first, on a fresh per-request context, and then by
its compiled plan on the request's own context; the two results must be identical: the
same data with its keys in the same order, the same errors (message, locations, path,
extensions) in the same order. The compiled result is the one returned.

Some answers depend on timing even on graphql-core alone: a query racing a concurrent
write sees one of two states, and the order of errors from concurrent fields (and, with
real I/O, which loads share a dataloader batch) follows the order in which I/O completes.
So when the plan's answer differs, graphql-core runs again (up to RETRIES times): if it
gives the plan's answer, or does not agree with itself, the case is counted as unstable;
only an answer graphql-core never gives is a difference. Mutations and subscriptions are
never run twice.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult, OperationType, print_ast

# graphql-core re-runs before a different answer counts as a difference
RETRIES = 4

if TYPE_CHECKING:
    from server.execution.compile import Plan
    from server.execution.executor import CompiledExecutor


@dataclass
class Difference:
    query: str
    variables: dict[str, Any]
    graphql_core: str
    compiled: str

    def __str__(self) -> str:
        return (
            f"query: {self.query}\nvariables: {self.variables}\n"
            f"graphql-core: {self.graphql_core}\ncompiled:     {self.compiled}"
        )


@dataclass
class Recorder:
    fresh_context: Callable[[Any], Any]
    checked: int = 0
    unstable: int = 0
    # Unstable cases whose answers differ only in the order of their errors: concurrent
    # fields fail in the order their I/O completes, on graphql-core as on a plan.
    reordered: int = 0
    differences: list[Difference] = field(default_factory=list)


_active: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "differential", default=None
)
_session: list[Recorder] = []


def start(fresh_context: Callable[[Any], Any]) -> Recorder:
    """Compare every query from now on, in every task (until `stop`)."""
    recorder = Recorder(fresh_context)
    _session.append(recorder)
    return recorder


def stop(recorder: Recorder) -> None:
    _session.remove(recorder)


def resume(recorder: Recorder) -> None:
    _session.append(recorder)


def use(recorder: Recorder | None) -> contextvars.Token[Recorder | None]:
    """Compare the queries of the current task (and the tasks it starts) into `recorder`."""
    return _active.set(recorder)


def active() -> Recorder | None:
    recorder = _active.get()
    if recorder is None and _session:
        return _session[-1]
    return recorder


def applies(run: CompiledExecutor) -> Recorder | None:
    recorder = active()
    if recorder is None or run.operation.operation is not OperationType.QUERY:
        return None
    return recorder


def rendered(result: ExecutionResult) -> str:
    """The response as a client reads it, keys in order (before error masking)."""
    errors = [error.formatted for error in result.errors or ()]
    return json.dumps({"data": result.data, "errors": errors}, default=repr)


async def run_both(run: CompiledExecutor, plan: Plan, recorder: Recorder) -> ExecutionResult:
    first = await _graphql_core(run, recorder)
    result = run.run_plan(plan)
    if run.is_awaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    compiled = rendered(result)
    recorder.checked += 1
    if compiled != first:
        answers = {first}
        for _ in range(RETRIES):
            again = await _graphql_core(run, recorder)
            if again == compiled:
                # graphql-core gives this answer too: the query's answer depends on timing
                # (which loads share a dataloader batch, which error is recorded first).
                _unstable(recorder, first, compiled)
                return result
            answers.add(again)
        if len(answers) > 1:
            _unstable(recorder, first, compiled)
            return result
        recorder.differences.append(
            Difference(
                run.operation.loc.source.body if run.operation.loc else print_ast(run.operation),
                dict(run.variable_values.coerced),
                first,
                compiled,
            )
        )
    return result


def _unstable(recorder: Recorder, first: str, compiled: str) -> None:
    recorder.unstable += 1
    one, other = json.loads(first), json.loads(compiled)
    if one["data"] == other["data"] and _sorted(one["errors"]) == _sorted(other["errors"]):
        recorder.reordered += 1


def _sorted(errors: list[Any]) -> list[str]:
    return sorted(json.dumps(error, sort_keys=True) for error in errors)


async def _graphql_core(run: CompiledExecutor, recorder: Recorder) -> str:
    other = run.create_sub_executor()
    assert isinstance(other, type(run))
    other.context_value = recorder.fresh_context(run.context_value)
    result = other.execute_graphql_core()
    if other.is_awaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    return rendered(result)
