"""The request path of an operation whose document is cached and compiled.

strawberry's `Schema.execute` runs every request through its extension machinery: an
ExecutionContext, six extension objects, four hook managers and a dozen generator
context managers per request: 9 % of the 5-SKU cart check's CPU and 15 % of the
listing's (bench/README.md, "Direct operations"). A document that already
passed the limits and validation is in the document cache, so for it this path calls the
same steps directly, in the order the extensions run (server/app.py, create_schema):

    access guard -> response cache -> cost check and budget -> execution (the compiled
    executor, as strawberry calls it) -> strawberry's error log -> masking -> the
    operation's log line and metrics

Each step is the one function both paths share (server/access.py, response_cache.py,
query_cost.py, masking.py, logging_ops.py), so the two cannot drift apart. Anything
else goes to `Schema.execute` before any step has run, so it is answered exactly as
before: a document not yet cached, several operations and no name, a subscription, a
method that may not run the operation, variables with bad text, a refused token.
`tests/api/test_pipeline.py` sends the same requests down both paths.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult as CoreResult
from graphql import OperationDefinitionNode
from graphql import execute as core_execute
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import _coerce_error
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from server import access, response_cache
from server.access import AccessGuard
from server.documents import CheckedDocuments, DocumentCache
from server.execution.executor import CompiledExecutor, single_operation
from server.input_text import bad_variable
from server.limits import Limits
from server.logging_ops import OperationLog, record_operation
from server.masking import MaskUnexpectedErrors, masked
from server.query_cost import CostCheck, Priced, QueryCost
from server.response_cache import CachedCatalogResponses, ResponseCache

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from server.metrics import Metrics

# The extensions this path stands in for, in create_schema's order.
MODELLED = (
    OperationLog,
    CheckedDocuments,
    AccessGuard,
    CachedCatalogResponses,
    QueryCost,
    MaskUnexpectedErrors,
)
_TYPES = {t.value: t for t in OperationType}


class DirectOperations:
    def __init__(
        self,
        schema: Schema,
        documents: DocumentCache,
        limits: Limits,
        responses: ResponseCache,
        metrics: Metrics,
    ) -> None:
        self.schema = schema
        self.core_schema = schema._schema
        self.documents = documents
        self.limits = limits
        self.responses = responses
        self.metrics = metrics
        self.executor_class = schema.execution_context_class
        self.served = 0  # operations answered here (the rest: Schema.execute)

    async def execute(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The operation's result, or None: Schema.execute must run it."""
        started = time.perf_counter()
        if query is None:
            return None
        entry = self.documents.peek(query)
        if entry is None:
            return None
        document = entry.document
        operation = single_operation(document, operation_name)
        if operation is None:
            return None
        op_type = _TYPES[operation.operation.value]
        if op_type not in allowed or bad_variable(variables) is not None:
            return None
        name = operation_name if operation_name is not None else _name(operation)
        needed = entry.requirements.get(name)
        if needed is None:
            needed = access.requirements_for(self.core_schema, query, name, document)
            entry.requirements[name] = needed
        if access.refusal_for(needed, context, variables) is not None:
            return None
        self.documents.get(query)  # counted as a hit, as the document extension does
        self.served += 1
        priced = Priced(self.core_schema, query, document, name, variables, context)
        cost = CostCheck(self.documents, self.limits)
        result: ExecutionResult
        try:
            key = None
            if self.responses.ttl > 0 and op_type is OperationType.QUERY and needed.catalog_only:
                key = response_cache.key_for(
                    query, name, variables, getattr(context, "token", None)
                )
            if key is None:
                result = await self._run(priced, cost, operation_extensions)
            else:
                async with response_cache.serving(self.responses, key) as slot:
                    if slot.cached is not None:
                        cost.measure_only(priced)
                        result = ExecutionResult(data=slot.cached.data, errors=None)
                    else:
                        result = await self._run(priced, cost, operation_extensions)
                        slot.answer = CoreResult(result.data, result.errors)
        except Exception as error:  # a step's own fault: as strawberry, but masked below
            coerced = _coerce_error(error)
            self.schema.process_errors([coerced])
            result = PreExecutionError(data=None, errors=[coerced])
        result.extensions = cost.results(subscription=False)
        if result.errors:
            result.errors = masked(result.errors, getattr(context, "request_id", "-"))
        record_operation(
            self.metrics,
            name,
            op_type.value,
            context,
            result.errors,
            time.perf_counter() - started,
            pre_execution=isinstance(result, PreExecutionError),
        )
        return result

    async def _run(
        self, priced: Priced, cost: CostCheck, operation_extensions: dict[str, Any] | None
    ) -> ExecutionResult:
        refused = await cost.check(priced)
        if refused is not None:
            answer: Any = CoreResult(data=None, errors=[refused])
        else:
            answer = core_execute(
                self.core_schema,
                priced.document,  # type: ignore[arg-type]
                variable_values=priced.variables,
                operation_name=priced.operation_name,
                context_value=priced.context,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                executor_class=self.executor_class,
                operation_extensions=operation_extensions,
            )
            if optimized_is_awaitable(answer):
                answer = await answer
        if answer.errors:
            # strawberry logs errors before they are masked (its logger's filter keeps
            # only server faults: server/graphql_http.py).
            self.schema.process_errors(answer.errors)
        return ExecutionResult(data=answer.data, errors=answer.errors)


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name is not None else None


def direct_operations(schema: Schema) -> DirectOperations | None:
    """The direct path for `schema`, when its extensions are exactly those it models and
    its operations run compiled; None otherwise (every request takes Schema.execute).
    The steps' state (caches, limits, metrics) is taken from the extensions themselves."""
    executor = getattr(schema, "execution_context_class", None)
    if not (isinstance(executor, type) and issubclass(executor, CompiledExecutor)):
        return None
    if schema.directives:
        return None
    made: list[Any] = [extension() for extension in schema.extensions]
    if tuple(type(extension) for extension in made) != MODELLED:
        return None
    log_, documents, _, responses, cost, _ = made
    return DirectOperations(
        schema, documents.cache, cost.check.limits, responses.cache, log_.metrics
    )
