"""Unexpected errors are logged with a request id and masked; expected ones pass through."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from server.edge import is_unavailable

log = logging.getLogger("orchestra.errors")


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="Internal server error.")

    def _process_result(self, result: object) -> None:
        # strawberry's isinstance check against a runtime Protocol costs more than the
        # rest of the extension for an answer without errors; this is the same test.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context: Any = self.execution_context.context
        return anonymised(error, getattr(context, "request_id", "-"))


def masked(errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
    """The errors a client is shown: unexpected ones logged and replaced (the extension's
    rule, for server/pipeline.py)."""
    return [anonymised(e, request_id) if _should_mask(e) else e for e in errors]


def anonymised(error: GraphQLError, request_id: str) -> GraphQLError:
    if is_unavailable(error.original_error):
        # An outage, not a bug: one line without a traceback, and a code to retry on.
        log.error("request %s at %s: %r", request_id, error.path, error.original_error)
        message, code = "Service temporarily unavailable.", "UNAVAILABLE"
    else:
        log.error(
            "request %s failed at %s",
            request_id,
            error.path,
            exc_info=error.original_error,
        )
        message, code = "Internal server error.", "INTERNAL"
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": code, "requestId": request_id},
    )
