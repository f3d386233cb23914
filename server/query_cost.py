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
from typing import Any, NamedTuple

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from server.documents import DocumentCache, exact_measure
from server.limits import Limits, measure_error
from server.ratelimit import Decision
from server.request_limits import RETRY_AFTER, client_ip, throttle_of


class Priced(NamedTuple):
    """What the cost of a request depends on."""

    schema: GraphQLSchema
    query: str | None
    document: DocumentNode | None
    operation_name: str | None
    variables: dict[str, Any] | None
    context: Any


class CostCheck:
    """One request's cost: measured with its variables, checked against the limit,
    charged to the caller's budget, and reported in `extensions.cost`."""

    def __init__(self, cache: DocumentCache, limits: Limits) -> None:
        self.cache = cache
        self.limits = limits
        self.cost: int | None = None
        self.decision: Decision | None = None
        self.rule_capacity = 0.0
        self.rule_rate = 0.0
        self.cached = False

    def _measure(self, request: Priced) -> Any:
        """This request's exact cost measure (cached per document and sizes), or None."""
        if request.document is None or request.query is None:
            return None
        return exact_measure(
            self.cache.peek(request.query),
            request.schema,
            request.document,
            request.operation_name,
            request.variables,
        )

    @staticmethod
    def _budget(context: Any) -> tuple[Any, Any, str, str] | None:
        """(request, throttle, bucket key, kind) when the caller has a budget."""
        request: Any = getattr(context, "request", None)
        throttle = throttle_of(request.scope) if request is not None else None
        if throttle is None:
            return None
        token = getattr(context, "token", None)
        if token is not None:
            key, kind = f"token:{token.id}", token.kind.value
        else:
            key, kind = "ip:" + client_ip(request.scope), "anonymous"
        return request, throttle, key, kind

    def measure_only(self, request: Priced) -> None:
        """The cost of an answer served from the response cache, for `extensions.cost`,
        when the caller has a budget: nothing executes, so nothing is charged."""
        measure = self._measure(request)
        budget = self._budget(request.context)
        if measure is None or budget is None:
            return
        _, throttle, _, kind = budget
        if throttle.cost_rule(kind) is None:
            return
        self.cost = measure.cost
        self.cached = True

    async def check(self, request: Priced) -> GraphQLError | None:
        """The error refusing the request (over the limit, or the budget spent), else
        None with the cost charged."""
        measure = self._measure(request)
        if measure is None:
            return None  # no such operation: execution reports it
        self.cost = measure.cost
        refused = measure_error(measure, self.limits)
        if refused is not None:
            return refused
        budget = self._budget(request.context)
        if budget is None or measure.cost <= 0:
            return None
        http, throttle, key, kind = budget
        rule = throttle.cost_rule(kind)
        if rule is None:
            return None
        self.rule_capacity, self.rule_rate = rule.capacity, rule.per_second
        self.decision = decision = await throttle.charge(key, kind, measure.cost)
        if decision is None or decision.allowed:
            return None
        http.scope.setdefault("state", {})[RETRY_AFTER] = decision.retry_seconds
        return GraphQLError(
            f"Query cost budget exhausted: this query costs {measure.cost}, "
            f"{int(decision.remaining)} of {int(rule.capacity)} remain and "
            f"{rule.per_second:g} are restored per second; retry in "
            f"{decision.retry_seconds} s.",
            extensions={"code": "THROTTLED", "retryAfter": decision.retry_seconds},
        )

    def results(self, subscription: bool) -> dict[str, Any]:
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
        if subscription:
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


class QueryCost(SchemaExtension):
    def __init__(self, cache: DocumentCache, limits: Limits) -> None:
        self.check = CostCheck(cache, limits)

    def _priced(self) -> Priced:
        ctx = self.execution_context
        return Priced(
            ctx.schema._schema,
            ctx.query,
            ctx.graphql_document,
            ctx.operation_name,
            ctx.variables,
            ctx.context,
        )

    async def on_execute(self) -> AsyncIterator[None]:
        if self.execution_context.result is not None:
            # Answered by the response cache, which runs first: nothing executes, so
            # nothing is charged; the answer still says what the query would cost.
            self.check.measure_only(self._priced())
            yield
            return
        error = await self.check.check(self._priced())
        if error is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                raise error  # strawberry ignores a preset result for subscriptions
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        if self.check.cost is None:
            return {}
        subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        return self.check.results(subscription)
