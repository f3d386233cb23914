"""The executor strawberry hands each operation to: a plan when one applies, else graphql-core.

strawberry (0.341) runs parsing, validation and every schema extension (access guard,
response cache, error masking) around `execute`, and passes `execution_context_class`
to graphql-core, which builds the executor (coercing the variables) and calls
`execute_operation`. Overriding only that method keeps everything else as it is:
the plan runs after the access guard and before masking, with graphql-core's coerced
variables, fragments, error collection and response building.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    assert_valid_schema,
)
from graphql.execution import Executor, MiddlewareManager
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import default_field_resolver, default_type_resolver
from strawberry.schema.schema import (
    StrawberryGraphQLCoreExecutionContext,
)
from strawberry.schema.schema import (
    _OperationContextAwareGraphQLResolveInfo as _InfoClass,
)

from server.execution import differential, runtime
from server.execution.resolve import ContextInfo

if TYPE_CHECKING:
    from graphql.execution.types import ExperimentalIncrementalExecutionResults
    from graphql.pyutils import AwaitableOrValue

    from server.execution.cache import PlanCache
    from server.execution.compile import Plan
    from server.execution.runtime import Site


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """Runs validated operations from compiled plans (see server/execution/compile.py)."""

    plans: ClassVar[PlanCache]
    argument_memo: dict[Site, dict[str, Any]]
    # What resolvers that only read `info.context` get (server/execution/resolve.py).
    context_info: ContextInfo
    # The request-wide part of strawberry's resolve info, so a plan builds it as one tuple
    # (None: build_resolve_info is not strawberry's, call it).
    info_tail: tuple[Any, ...] | None = None
    info_class: Any = _InfoClass

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        is_awaitable: Any = None,
        is_async_iterable: Any = None,
        hide_suggestions: bool = False,
        abort_signal: Any = None,
        hooks: Any = None,
        **custom_args: Any,
    ) -> list[GraphQLError] | Executor[Any]:
        """Executor.build, with the variables coerced by the operation's compiled coercer
        (server/execution/variables.py) when it accepts them; graphql-core's build for
        everything else, including every request whose variables have errors."""
        operation = single_operation(document, operation_name)
        manager = _manager(middleware)
        if operation is not None and manager is not False:
            coercer = cls.plans.variable_coercer(schema, operation)
            variables = coercer(raw_variable_values or {}) if coercer is not None else None
            if variables is not None:
                assert_valid_schema(schema)
                return cls(
                    schema,
                    {
                        d.name.value: d
                        for d in document.definitions
                        if isinstance(d, FragmentDefinitionNode)
                    },
                    {
                        d.name.value: FragmentDetails(d, None)
                        for d in document.definitions
                        if isinstance(d, FragmentDefinitionNode)
                    },
                    root_value,
                    context_value,
                    operation,
                    variables,
                    field_resolver or default_field_resolver,
                    type_resolver or default_type_resolver,
                    subscribe_field_resolver or default_field_resolver,
                    enable_early_execution,
                    manager,
                    is_awaitable,
                    is_async_iterable,
                    hide_suggestions=hide_suggestions,
                    abort_signal=abort_signal,
                    hooks=hooks,
                    **custom_args,
                )
        return super().build(
            schema,
            document,
            root_value,
            context_value,
            raw_variable_values,
            operation_name,
            field_resolver,
            type_resolver,
            subscribe_field_resolver,
            max_coercion_errors,
            enable_early_execution,
            middleware,
            is_awaitable,
            is_async_iterable,
            hide_suggestions=hide_suggestions,
            abort_signal=abort_signal,
            hooks=hooks,
            **custom_args,
        )

    def execute_operation(
        self, serially: bool | None = None
    ) -> AwaitableOrValue[ExecutionResult | ExperimentalIncrementalExecutionResults]:
        plan = None
        # `serially` is only passed for subscription events; those stay on graphql-core,
        # as do aborts, hooks and resolver middleware, which plans do not model.
        if (
            serially is None
            and self.abort_signal is None
            and self.hooks is None
            and not _has_middleware(self.middleware_manager)
        ):
            plan = self.plans.plan_for(self)
        if plan is None:
            return super().execute_operation(serially)
        recorder = differential.applies(self)
        if recorder is not None:
            return differential.run_both(self, plan, recorder)
        return self.run_plan(plan)

    def execute_graphql_core(
        self,
    ) -> AwaitableOrValue[ExecutionResult | ExperimentalIncrementalExecutionResults]:
        """graphql-core's own execution of this operation (for the differential test)."""
        return super().execute_operation(None)

    def run_plan(
        self, plan: Plan
    ) -> AwaitableOrValue[ExecutionResult | ExperimentalIncrementalExecutionResults]:
        """Executor.execute_operation with the root fields from the plan."""
        self.argument_memo = {}
        self.context_info = ContextInfo(self.context_value)
        if type(self).build_resolve_info is _strawberry_build_resolve_info:
            # Exactly the fields strawberry's build_resolve_info fills after the path.
            self.info_tail = (
                self.schema,
                self.fragment_definitions,
                self.root_value,
                self.operation,
                self.variable_values.coerced,
                self.context_value,
                self.is_awaitable,
                self.abort_signal,
                self.async_helpers,
                self.operation_extensions,
            )
        execute = runtime.execute_fields_serially if plan.serial else runtime.execute_fields
        try:
            result = execute(self, plan.fields, self.root_value, None)
            if self.is_awaitable(result):
                return self._await_result(result)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(result))

    async def _await_result(
        self, result: Any
    ) -> ExecutionResult | ExperimentalIncrementalExecutionResults:
        try:
            data = await result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return self.build_response(data)


_strawberry_build_resolve_info: Any = StrawberryGraphQLCoreExecutionContext.build_resolve_info
if len(_InfoClass._fields) != 15:  # a strawberry whose info differs: always call its method
    _strawberry_build_resolve_info = None


def single_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation Executor.build would select, when the document is plain: one
    query or mutation (or the named one), fragments without variables."""
    found = None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if found is not None:
                    return None  # graphql-core reports the missing operation name
                found = definition
            elif definition.name is not None and definition.name.value == operation_name:
                found = definition
        elif isinstance(definition, FragmentDefinitionNode) and definition.variable_definitions:
            return None
    if found is None or found.operation is OperationType.SUBSCRIPTION:
        return None
    return found


def _manager(middleware: Any) -> MiddlewareManager | bool | None:
    """Executor.build's middleware manager; False where build would raise."""
    if middleware is None or isinstance(middleware, MiddlewareManager):
        return middleware
    if isinstance(middleware, (list, tuple)):
        return MiddlewareManager(*middleware)
    return False


def _has_middleware(manager: Any) -> bool:
    return manager is not None and getattr(manager, "_middleware_resolvers", True) is not None
