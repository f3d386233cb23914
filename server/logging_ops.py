"""One structured log line and one metrics sample per GraphQL operation.

Fields: request id, operation name and type, token id (never the secret), duration and
outcome: `ok`, `client_error` (refusals, invalid documents: INFO) or `server_error`
(masked faults: ERROR). A subscription is logged when it ends, its duration its lifetime.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from server.http_protocol import tag_client_errors
from server.metrics import Metrics

log = logging.getLogger("orchestra.operations")
SERVER_CODES = frozenset({"INTERNAL", "UNAVAILABLE"})


def outcome_of(errors: list[GraphQLError] | None) -> str:
    if not errors:
        return "ok"
    for error in errors:
        code = (error.extensions or {}).get("code")
        original = error.original_error
        if code in SERVER_CODES or (
            original is not None and not isinstance(original, GraphQLError) and code is None
        ):
            return "server_error"
    return "client_error"


def _operation_name(ctx: Any) -> str | None:
    if ctx.operation_name:
        return str(ctx.operation_name)
    document = ctx.graphql_document
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) == 1 and operations[0].name is not None:
        return operations[0].name.value
    return None


def _operation_type(ctx: Any) -> str:
    try:
        return str(ctx.operation_type.value)
    except Exception:  # no valid document: there is no operation type to tell
        return "unknown"


class OperationLog(SchemaExtension):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        ctx = self.execution_context
        result = ctx.result
        errors = (result.errors if result is not None else None) or ctx.pre_execution_errors
        record_operation(
            self.metrics,
            _operation_name(ctx),
            _operation_type(ctx),
            ctx.context,
            errors,
            seconds,
            pre_execution=isinstance(result, PreExecutionError),
        )


def record_operation(
    metrics: Metrics,
    operation: str | None,
    op_type: str,
    context: Any,
    errors: list[GraphQLError] | None,
    seconds: float,
    *,
    pre_execution: bool,
) -> None:
    """The operation's metrics sample and log line (also server/pipeline.py's). Errors of
    the client's making get their code here, before the line is written, as the response
    gives it them (http_protocol.tag_client_errors, idempotent): a log line names the
    codes the client was sent."""
    if errors:
        tag_client_errors(errors, pre_execution=pre_execution)
    outcome = outcome_of(errors)
    name = metrics.operation_label(operation)
    token = getattr(context, "token", None)
    metrics.observe_operation(
        name, op_type, outcome, None if op_type == "subscription" else seconds
    )
    fields = {
        "request_id": getattr(context, "request_id", None),
        "operation": name,
        "operation_type": op_type,
        "token_id": token.id if token is not None else None,
        "duration_ms": round(seconds * 1000, 2),
        "outcome": outcome,
    }
    if errors:
        fields["error_codes"] = sorted(
            {str((e.extensions or {}).get("code", "UNCODED")) for e in errors}
        )
    level = logging.ERROR if outcome == "server_error" else logging.INFO
    log.log(level, "graphql operation", extra=fields)
