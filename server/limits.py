"""Query depth and cost limits as one validation rule, built once per process.

The rule class is created once and added with AddValidationRules, so the tuple of rules
is identical on every request and strawberry's ValidationCache keeps hitting (a limiter
built per request would make every validation a cache miss).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_nullable_type,
    is_list_type,
)

from resolvers.pagination import MAX_PAGE

# Lists without a `first` argument are assumed to hold this many items.
LIST_ESTIMATE = 10


def build_limit_rule(max_depth: int, max_cost: int) -> type[ValidationRule]:
    class QueryLimits(ValidationRule):
        """Multipliers are recorded per field while graphql-core visits with type info;
        the cost of each operation is summed when the document has been visited."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                d.name.value: d
                for d in context.document.definitions
                if not isinstance(d, OperationDefinitionNode)
                and hasattr(d, "selection_set")
                and hasattr(d, "name")
            }
            self.multipliers: dict[int, int] = {}

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            field_type = self.context.get_type()
            if field_type is not None:
                self.multipliers[id(node)] = _multiplier(node, field_type)

        def leave_document(self, *_: Any) -> None:
            for definition in self.context.document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._check(definition)

        def _check(self, node: OperationDefinitionNode) -> None:
            cost, depth = self._measure(node.selection_set, 0, set())
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"Query depth {depth} exceeds the limit of {max_depth}.",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )
            elif cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the limit of {max_cost}.",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

        def _measure(
            self, selection_set: SelectionSetNode | None, depth: int, seen: set[str]
        ) -> tuple[int, int]:
            if selection_set is None:
                return 0, depth
            cost, deepest = 0, depth
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    inner_cost, inner_depth = self._measure(
                        selection.selection_set, depth + 1, seen
                    )
                    multiplier = self.multipliers.get(id(selection), 1)
                    cost += 1 + multiplier * inner_cost
                    deepest = max(deepest, inner_depth)
                elif isinstance(selection, InlineFragmentNode):
                    inner_cost, inner_depth = self._measure(selection.selection_set, depth, seen)
                    cost += inner_cost
                    deepest = max(deepest, inner_depth)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in seen:
                        continue  # unknown or cyclic fragments are reported by standard rules
                    inner_cost, inner_depth = self._measure(
                        fragment.selection_set,
                        depth,
                        seen | {name},
                    )
                    cost += inner_cost
                    deepest = max(deepest, inner_depth)
            return cost, deepest

    return QueryLimits


def _multiplier(field: FieldNode, field_type: GraphQLOutputType) -> int:
    """How many times a field's selection is resolved: `first` for connections and
    paginated lists, the SKU count for availability, an estimate for other lists."""
    for argument in field.arguments or ():
        name = argument.name.value
        if name in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
        if name == "skus" and isinstance(argument.value, ListValueNode):
            return max(1, len(argument.value.values))
    if field.name.value == "edges":
        return 1  # a connection's `first` already counted its edges
    if is_list_type(get_nullable_type(field_type)):
        return LIST_ESTIMATE
    return 1
