"""The exact cost of each request, its limit, and the caller's budget per minute.

Before execution the operation is measured with this request's variables (list sizes
such as `first: $n` or `skus: $skus`; the figure is cached per document and sizes), so the
limit holds whatever the variables say. The cost is then taken from the caller's bucket
(per token, per client IP when anonymous): like Shopify's calculated query cost, a query
that does not fit is refused THROTTLED with HTTP 429 and Retry-After, and every answer
to a caller with a budget says what it cost and what is left in `extensions.cost`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from server.documents import DocumentCache, exact_measure
from server.limits import Limits, measure_error
from server.ratelimit import Decision
from server.request_limits import RETRY_AFTER, client_ip, throttle_of


class QueryCost(SchemaExtension):
    def __init__(self, cache: DocumentCache, limits: Limits) -> None:
        self.cache = cache
        self.limits = limits
        self.cost: int | None = None
        self.decision: Decision | None = None
        self.rule_capacity = 0.0
        self.rule_rate = 0.0
        self.cached = False

    async def on_execute(self) -> AsyncIterator[None]:
        if self.execution_context.result is not None:
            # Answered by the response cache, which runs first: nothing executes, so
            # nothing is charged; the answer still says what the query would cost.
            self.cached = self._measure_only()
            yield
            return
        error = await self._check()
        if error is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                raise error  # strawberry ignores a preset result for subscriptions
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def _measure(self) -> Any:
        """This request's exact cost measure (cached per document and sizes), or None."""
        ctx = self.execution_context
        if ctx.graphql_document is None or ctx.query is None:
            return None
        return exact_measure(
            self.cache.peek(ctx.query),
            ctx.schema._schema,
            ctx.graphql_document,
            ctx.operation_name,
            ctx.variables,
        )

    def _budget(self) -> tuple[Any, Any, str, str] | None:
        """(request, throttle, bucket key, kind) when the caller has a budget."""
        ctx = self.execution_context
        request: Any = getattr(ctx.context, "request", None)
        throttle = throttle_of(request.scope) if request is not None else None
        if throttle is None:
            return None
        token = getattr(ctx.context, "token", None)
        if token is not None:
            key, kind = f"token:{token.id}", token.kind.value
        else:
            key, kind = "ip:" + client_ip(request.scope), "anonymous"
        return request, throttle, key, kind

    def _measure_only(self) -> bool:
        """The cost of an answer served from the cache, for `extensions.cost`, when the
        caller has a budget; True when there is something to report."""
        measure = self._measure()
        budget = self._budget()
        if measure is None or budget is None:
            return False
        _, throttle, _, kind = budget
        if throttle.cost_rule(kind) is None:
            return False
        self.cost = measure.cost
        return True

    async def _check(self) -> GraphQLError | None:
        measure = self._measure()
        if measure is None:
            return None  # no such operation: execution reports it
        self.cost = measure.cost
        refused = measure_error(measure, self.limits)
        if refused is not None:
            return refused
        budget = self._budget()
        if budget is None or measure.cost <= 0:
            return None
        request, throttle, key, kind = budget
        rule = throttle.cost_rule(kind)
        if rule is None:
            return None
        self.rule_capacity, self.rule_rate = rule.capacity, rule.per_second
        self.decision = decision = await throttle.charge(key, kind, measure.cost)
        if decision is None or decision.allowed:
            return None
        request.scope.setdefault("state", {})[RETRY_AFTER] = decision.retry_seconds
        return GraphQLError(
            f"Query cost budget exhausted: this query costs {measure.cost}, "
            f"{int(decision.remaining)} of {int(rule.capacity)} remain and "
            f"{rule.per_second:g} are restored per second; retry in "
            f"{decision.retry_seconds} s.",
            extensions={"code": "THROTTLED", "retryAfter": decision.retry_seconds},
        )

    def get_results(self) -> dict[str, Any]:
        # Reported to callers with a budget (every kind has one by default): the answer
        # then tells them how to pace themselves.
        if self.cached and self.cost is not None:
            return {
                "cost": {
                    "requestedQueryCost": self.cost,
                    "actualQueryCost": 0,  # served from the response cache, not charged
                    "maximumQueryCost": self.limits.max_cost,
                }
            }
        if self.cost is None or self.decision is None:
            return {}
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            # Charged once when it starts; its events would only repeat that figure, and
            # subscribers sharing one execution (server/shared_subscriptions.py) get the
            # same bytes, so an event carries nothing of one subscriber's own.
            return {}
        cost: dict[str, Any] = {
            "requestedQueryCost": self.cost,
            "maximumQueryCost": self.limits.max_cost,
        }
        cost["throttleStatus"] = {
            "maximumAvailable": int(self.rule_capacity),
            "currentlyAvailable": int(self.decision.remaining),
            "restoreRate": round(self.rule_rate, 2),
        }
        return {"cost": cost}
