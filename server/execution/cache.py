"""Plans, compiled once per (document, operation, @skip/@include values), bounded by size.

The key is the document's text (graphql-core keeps it on every node's location), where
the operation starts in it, and the values of the variables that @skip/@include read:
those are the only variables that change which fields a plan holds. Documents a plan
cannot run are remembered too, so graphql-core takes them without another attempt.
The cache holds at most `max_documents` documents and `max_fields` compiled fields.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from graphql import (
    DirectiveNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    visit,
)
from graphql.language import Visitor

from server.execution.compile import Compiler, Plan, RawInputs, Unsupported
from server.execution.variables import Coercer, compile_variables

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from server.execution.executor import CompiledExecutor

log = logging.getLogger("orchestra.execution")
CONDITIONS = frozenset({"skip", "include"})
_MISSING = object()  # a variable left out differs from one set to null


class _Document:
    __slots__ = ("conditions", "plans", "size")

    def __init__(self, conditions: tuple[str, ...] | None) -> None:
        self.conditions = conditions  # None: not compilable
        self.plans: dict[tuple[Any, ...], Plan | None] = {}
        self.size = 0


class _Conditions(Visitor):
    """Variables read by @skip/@include; any other directive in a selection fails."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.supported = True

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        if node.name.value not in CONDITIONS:
            self.supported = False
            return
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                name = argument.value.name.value
                if name not in self.names:
                    self.names.append(name)


def conditions(run: CompiledExecutor) -> tuple[str, ...] | None:
    visitor = _Conditions()
    operation: OperationDefinitionNode = run.operation
    if operation.directives:
        return None
    visit(operation.selection_set, visitor)
    for fragment in run.fragment_definitions.values():
        if fragment.variable_definitions or fragment.directives:
            return None
        visit(fragment.selection_set, visitor)
    return tuple(visitor.names) if visitor.supported else None


class PlanCache:
    def __init__(
        self,
        schema: Schema,
        raw_inputs: RawInputs,
        max_documents: int = 1024,
        max_fields: int = 250_000,
    ) -> None:
        self.schema = schema
        self.raw_inputs = raw_inputs
        self.max_documents = max_documents
        self.max_fields = max_fields
        self.fields = 0
        self.compiled = 0
        self.unsupported = 0
        self._documents: OrderedDict[tuple[str, int], _Document] = OrderedDict()
        self._coercers: OrderedDict[tuple[str, int], Coercer | None] = OrderedDict()

    def plan_for(self, run: CompiledExecutor) -> Plan | None:
        location = run.operation.loc
        if location is None:
            return None
        key = (location.source.body, location.start)
        document = self._documents.get(key)
        if document is None:
            document = self._documents[key] = _Document(conditions(run))
            self._trim()
        else:
            self._documents.move_to_end(key)
        names = document.conditions
        if names is None:
            return None
        coerced = run.variable_values.coerced
        values = tuple(coerced.get(name, _MISSING) for name in names)
        try:
            return document.plans[values]
        except KeyError:
            pass
        plan = self._compile(run)
        document.plans[values] = plan
        if plan is not None:
            document.size += plan.size
            self.fields += plan.size
            self._trim()
        return plan

    def _compile(self, run: CompiledExecutor) -> Plan | None:
        try:
            plan = Compiler(run, self.schema, self.raw_inputs).operation()
        except (Unsupported, GraphQLError) as reason:  # graphql-core reports such errors
            self.unsupported += 1
            log.debug("graphql-core runs this operation: %s", reason)
            return None
        except Exception:  # a defect here must cost speed, never an answer
            self.unsupported += 1
            log.exception("compiling an operation failed; graphql-core runs it")
            return None
        self.compiled += 1
        return plan

    def _trim(self) -> None:
        documents = self._documents
        while len(documents) > 1 and (
            len(documents) > self.max_documents or self.fields > self.max_fields
        ):
            _, dropped = documents.popitem(last=False)
            self.fields -= dropped.size

    def variable_coercer(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode
    ) -> Coercer | None:
        """The operation's compiled variable coercer (variables.py), once per operation."""
        if not operation.variable_definitions:
            return None
        location = operation.loc
        if location is None:
            return None
        key = (location.source.body, location.start)
        try:
            return self._coercers[key]
        except KeyError:
            pass
        coercer = compile_variables(schema, operation)
        self._coercers[key] = coercer
        while len(self._coercers) > self.max_documents:
            self._coercers.popitem(last=False)
        return coercer

    def clear(self) -> None:
        self._documents.clear()
        self._coercers.clear()
        self.fields = 0
