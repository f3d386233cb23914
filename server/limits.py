"""Query depth, size and cost, measured in one pass over the document.

Each fragment is measured once (memoized by name and the little context that changes
its figures), so the work is linear in the document however often fragments spread:
21 fragments that each spread the next twice are 21 measurements, not 2**21.

Two depth limits: ordinary fields (`max_depth`) and introspection (`__schema`, `__type`
and everything under them, `max_introspection_depth`). The standard introspection
queries of graphql-core, GraphiQL and Apollo nest `ofType` nine levels deep, deeper than
any application query needs, while the schema itself is finite; a chain of 100 `ofType`
is still refused. `__typename` is free and never counted.

Costs come from server/costs.py. Arguments that size lists (`first`, `skus`, batch
`updates`) are read from literals or, per request, from variables; without variables (the
check made before validation) a variable size counts as 1, so that check is a lower
bound and the exact cost is checked again before execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from resolvers.pagination import MAX_PAGE
from server.costs import LIST_ESTIMATE, CostTable, FieldCost, cost_table

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# A list argument longer than this is refused by its resolver; it never costs more.
MAX_LIST_ARGUMENT = 10_000
_META = FieldCost(each=1)
_NONE: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_introspection_depth: int = 20
    max_cost: int = 50_000
    max_aliases: int = 30
    max_fields: int = 1_000


@dataclass(frozen=True, slots=True)
class Measure:
    """One operation: its cost, deepest ordinary and introspection paths."""

    cost: int
    depth: int
    introspection_depth: int


@dataclass(slots=True)
class Shape:
    """What the document holds as written (fragments not expanded)."""

    fields: int = 0
    aliases: int = 0


def too_complex(message: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TOO_COMPLEX, **extra})


def shape(document: DocumentNode) -> Shape:
    found = Shape()
    stack: list[SelectionSetNode] = [
        d.selection_set for d in document.definitions if hasattr(d, "selection_set")
    ]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                found.fields += 1
                found.aliases += selection.alias is not None
            inner: SelectionSetNode | None = getattr(selection, "selection_set", None)
            if inner is not None:
                stack.append(inner)
    return found


def shape_error(document: DocumentNode, limits: Limits) -> GraphQLError | None:
    found = shape(document)
    if found.aliases > limits.max_aliases:
        return too_complex(
            f"The document has {found.aliases} aliases; the limit is {limits.max_aliases}."
        )
    if found.fields > limits.max_fields:
        return too_complex(
            f"The document has {found.fields} fields; the limit is {limits.max_fields}."
        )
    return None


def measure_error(measure: Measure, limits: Limits) -> GraphQLError | None:
    if measure.depth > limits.max_depth:
        return too_complex(f"Query depth {measure.depth} exceeds the limit of {limits.max_depth}.")
    if measure.introspection_depth > limits.max_introspection_depth:
        return too_complex(
            f"Introspection depth {measure.introspection_depth} exceeds the limit of "
            f"{limits.max_introspection_depth}."
        )
    if measure.cost > limits.max_cost:
        return too_complex(
            f"Query cost {measure.cost} exceeds the limit of {limits.max_cost}.",
            cost=measure.cost,
            maxCost=limits.max_cost,
        )
    return None


@dataclass(slots=True)
class Analyzer:
    """Measures the operations of one document. `variables` None means "not known yet":
    sizes taken from variables count as 1 and `used_variables` records their names."""

    schema: GraphQLSchema
    document: DocumentNode
    variables: Mapping[str, Any] | None = None
    used_variables: set[str] = field(default_factory=set)
    _table: CostTable = field(init=False)
    _fragments: dict[str, FragmentDefinitionNode] = field(init=False)
    _memo: dict[tuple[str, int | None, bool], tuple[int, int, int, int] | None] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._table = cost_table(self.schema)
        self._fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def operations(self) -> dict[str | None, Measure]:
        found: dict[str | None, Measure] = {}
        for definition in self.document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                found[name] = self.operation(definition)
        return found

    def operation(self, node: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(node.operation)
        if root is None:
            return Measure(0, 0, 0)
        each, once, depth, meta = self._selections(node.selection_set, root, None, False)
        return Measure(each + once, depth, meta)

    # (each, once, depth, introspection depth) of a selection set, relative to its parent.
    def _selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        page: int | None,
        meta: bool,
    ) -> tuple[int, int, int, int]:
        if selection_set is None:
            return _NONE
        each = once = depth = meta_depth = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, page, meta)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                part = self._selections(selection.selection_set, target or parent, page, meta)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._spread(selection.name.value, page, meta)
            else:
                continue
            each += part[0]
            once += part[1]
            depth = max(depth, part[2])
            meta_depth = max(meta_depth, part[3])
        return each, once, depth, meta_depth

    def _spread(self, name: str, page: int | None, meta: bool) -> tuple[int, int, int, int]:
        key = (name, page, meta)
        if key in self._memo:
            return self._memo[key] or _NONE  # None: in progress, a cycle (validation reports)
        fragment = self._fragments.get(name)
        target = self.schema.get_type(fragment.type_condition.name.value) if fragment else None
        if fragment is None or target is None:
            return _NONE
        self._memo[key] = None
        found = self._selections(fragment.selection_set, target, page, meta)
        self._memo[key] = found
        return found

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, page: int | None, meta: bool
    ) -> tuple[int, int, int, int]:
        name = node.name.value
        if name == "__typename":
            return _NONE
        definition = self._definition(parent, name)
        if definition is None:
            return _NONE  # unknown fields are reported by validation
        inner_meta = meta or name.startswith("__") or parent.name.startswith("__")
        child_type = get_named_type(definition.type)
        child_page = self._page(node, definition) if not inner_meta else None
        each, once, depth, meta_depth = self._selections(
            node.selection_set, child_type, child_page, inner_meta
        )
        cost = _META if inner_meta else self._table.cost(parent.name, name)
        items = self._items(node, definition, parent, cost, page, inner_meta)
        own = cost.each
        if cost.per_item_of is not None:
            own += cost.per_item * self._list_length(node, cost.per_item_of, 1)
        if inner_meta:
            return own + items * each, once, 0, 1 + max(meta_depth, depth)
        return own + items * each, cost.batch + once, 1 + depth, meta_depth + bool(meta_depth)

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def _items(
        self,
        node: FieldNode,
        definition: GraphQLField,
        parent: GraphQLNamedType,
        cost: FieldCost,
        page: int | None,
        meta: bool,
    ) -> int:
        """How many times the field's selection is resolved."""
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        if meta:
            return self._table.introspection_lists.get((parent.name, node.name.value), 1)
        if cost.items_of is not None:
            return self._list_length(node, cost.items_of, LIST_ESTIMATE)
        if page is not None and node.name.value in ("edges", "nodes"):
            return page  # the connection's `first` sizes its edges, not its totalCount
        return LIST_ESTIMATE

    def _page(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """A connection's page size, from `first`/`last` or the argument's default."""
        for name in ("first", "last"):
            argument = definition.args.get(name)
            if argument is None:
                continue
            value = self._argument(node, name)
            if value is _ABSENT or value is None:
                value = argument.default_value
            if not isinstance(value, int) or isinstance(value, bool):
                return MAX_PAGE if value is None else 1
            return max(0, min(value, MAX_PAGE))
        return None

    def _list_length(self, node: FieldNode, name: str, default: int) -> int:
        value = self._argument(node, name)
        if value is _ABSENT or value is None:
            return default if value is _ABSENT else 1
        length = len(value) if isinstance(value, list) else 1
        return max(1, min(length, MAX_LIST_ARGUMENT))

    def _argument(self, node: FieldNode, name: str) -> Any:
        """An argument's value: a literal, a variable's value, 1-sized when unknown."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._value(argument.value)
        return _ABSENT

    def _value(self, value: ValueNode) -> Any:
        if isinstance(value, VariableNode):
            self.used_variables.add(value.name.value)
            if self.variables is None:
                return 1  # unknown yet: the smallest meaningful size
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            digits = value.value.lstrip("-")
            return int(value.value) if len(digits) <= 12 else MAX_LIST_ARGUMENT * MAX_PAGE
        if isinstance(value, ListValueNode):
            return list(value.values)
        if isinstance(value, NullValueNode):
            return None
        return 1


_ABSENT: Any = object()
