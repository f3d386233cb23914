"""pytest plugin (`-p tests.compiled_differential` in pyproject.toml): while the suite runs
with compiled execution on, every query it executes also runs on graphql-core's executor,
and the session fails if any answer differs (server/execution/differential.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from server.execution import differential
from server.settings import Settings


def _fresh(context: Any) -> Any:
    return context.fresh()


@pytest.fixture(scope="session", autouse=True)
def every_query_both_ways() -> Iterator[differential.Recorder | None]:
    if not Settings().compiled:
        yield None
        return
    recorder = differential.start(_fresh)
    try:
        yield recorder
    finally:
        differential.stop(recorder)
    print(
        f"\ncompiled execution: {recorder.checked} queries compared with graphql-core, "
        f"{len(recorder.differences)} differences, {recorder.unstable} raced a write"
    )
    if recorder.differences:
        shown = "\n\n".join(str(d) for d in recorder.differences[:5])
        pytest.fail(
            f"{len(recorder.differences)} queries answered differently by the compiled "
            f"plan and graphql-core:\n{shown}",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _single_execution(
    request: pytest.FixtureRequest, every_query_both_ways: differential.Recorder | None
) -> Iterator[None]:
    """Tests marked `single_execution` (they count statements) run each query once."""
    recorder = every_query_both_ways
    if recorder is None or request.node.get_closest_marker("single_execution") is None:
        yield
        return
    differential.stop(recorder)
    try:
        yield
    finally:
        differential.resume(recorder)
