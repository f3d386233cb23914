"""Queries for the differential test (tests/api/test_compiled_differential.py) and its long
run (bench/differential.py): hypothesis-graphql's valid queries against the served schema,
reshaped to reach real data and more of the executor.

hypothesis-graphql fills arguments with arbitrary values, which mostly find nothing. Here
arguments that name things (ids, channels, SKUs, handles, locations, categories) are
drawn mostly from the demo data, page sizes are kept small, and at random: arguments
become variables (with and without defaults), fields get @skip/@include (literal or
variable), aliases, duplicates to merge, __typename, and named fragments.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    print_ast,
    value_from_ast_untyped,
)
from hypothesis import strategies as st
from hypothesis_graphql import queries
from sqlalchemy import text

from persistence.database import Database
from resolvers.ids import cursor, global_id


@dataclass
class DemoNames:
    """Names that exist in the demo data, to aim arguments at real rows."""

    ids: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)


async def demo_names(db: Database) -> DemoNames:
    names = DemoNames()
    async with db.read() as conn:

        async def column(sql: str) -> list[Any]:
            return [row[0] for row in await conn.execute(text(sql))]

        names.channels = await column("SELECT code FROM channels ORDER BY id")
        names.skus = await column("SELECT sku FROM variants ORDER BY id LIMIT 400")
        names.handles = await column("SELECT handle FROM products ORDER BY id LIMIT 100")
        names.locations = await column("SELECT code FROM locations ORDER BY id")
        names.categories = await column("SELECT code FROM categories ORDER BY id")
        for table, type_name, limit in (
            ("products", "Product", 40),
            ("variants", "Variant", 60),
            ("channels", "Channel", 10),
            ("locations", "Location", 10),
            ("categories", "Category", 10),
            ("inventory_views", "InventoryView", 5),
        ):
            for key in await column(f"SELECT id FROM {table} ORDER BY id LIMIT {limit}"):
                names.ids.append(global_id(type_name, key))
        products = await column("SELECT id FROM products ORDER BY id LIMIT 60")
    names.cursors = [cursor(key) for key in products[::7]]
    return names


def load_names(db: Database) -> DemoNames:
    return asyncio.run(demo_names(db))


def _string(value: str) -> StringValueNode:
    return StringValueNode(value=value)


class _Reshaper:
    def __init__(self, draw: Any, schema: GraphQLSchema, names: DemoNames) -> None:
        self.draw = draw
        self.schema = schema
        self.names = names
        self.variables: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []
        self.provided: dict[str, Any] = {}

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) < percent)

    def real(self, pool: list[str]) -> ValueNode | None:
        if pool and self.chance(85):
            return _string(self.draw(st.sampled_from(pool)))
        return None

    def value_for(self, name: str, node: ValueNode) -> ValueNode:
        names = self.names
        pools = {
            "id": names.ids,
            "channel": names.channels,
            "sku": names.skus,
            "handle": names.handles,
            "location": names.locations,
            "category": names.categories,
            "after": names.cursors,
        }
        if name in pools and isinstance(node, StringValueNode):
            return self.real(pools[name]) or node
        if name == "id" and isinstance(node, IntValueNode):
            return self.real(names.ids) or node
        if name in ("first", "last") and isinstance(node, IntValueNode):
            return IntValueNode(value=str(self.draw(st.integers(-1, 25))))
        if name == "skus" and isinstance(node, ListValueNode) and self.chance(85):
            count = self.draw(st.integers(0, 6))
            picked = self.draw(
                st.lists(st.sampled_from(names.skus), min_size=count, max_size=count)
            )
            return ListValueNode(values=tuple(_string(s) for s in picked))
        if isinstance(node, ObjectValueNode):
            return ObjectValueNode(
                fields=tuple(
                    ObjectFieldNode(name=f.name, value=self.value_for(f.name.value, f.value))
                    for f in node.fields
                )
            )
        return node

    def argument(self, argument: ArgumentNode, type_node: TypeNode | None) -> ArgumentNode:
        value = self.value_for(argument.name.value, argument.value)
        if type_node is not None and self.chance(30):
            name = f"v{len(self.variables)}"
            default: Any = None
            provided = True
            if self.chance(30):
                default, provided = value, self.chance(50)
            self.variables.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=type_node,
                    default_value=default,
                    directives=(),
                )
            )
            if provided:
                self.provided[name] = value_from_ast_untyped(value)
            return ArgumentNode(name=argument.name, value=VariableNode(name=NameNode(value=name)))
        return ArgumentNode(name=argument.name, value=value)

    def condition(self) -> tuple[DirectiveNode, ...]:
        if not self.chance(15):
            return ()
        directive = self.draw(st.sampled_from(["skip", "include"]))
        flag = self.draw(st.booleans())
        value: ValueNode = BooleanValueNode(value=flag)
        if self.chance(50):
            name = f"v{len(self.variables)}"
            self.variables.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="Boolean"))),
                    directives=(),
                )
            )
            self.provided[name] = flag
            value = VariableNode(name=NameNode(value=name))
        argument = ArgumentNode(name=NameNode(value="if"), value=value)
        return (DirectiveNode(name=NameNode(value=directive), arguments=(argument,)),)

    def selection_set(self, node: SelectionSetNode, parent: Any) -> SelectionSetNode:
        selections: list[Any] = []
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                reshaped = self.field(selection, parent)
                selections.append(reshaped)
                if self.chance(8):  # the same field again: graphql-core merges them
                    selections.append(reshaped)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                inner = self.selection_set(selection.selection_set, target)
                if condition is not None and self.chance(25):
                    name = f"F{len(self.fragments)}"
                    self.fragments.append(
                        FragmentDefinitionNode(
                            name=NameNode(value=name),
                            type_condition=condition,
                            selection_set=inner,
                            directives=(),
                        )
                    )
                    selections.append(
                        FragmentSpreadNode(name=NameNode(value=name), directives=self.condition())
                    )
                else:
                    selections.append(
                        InlineFragmentNode(
                            type_condition=condition,
                            selection_set=inner,
                            directives=self.condition(),
                        )
                    )
            else:
                selections.append(selection)
        if self.chance(10):
            selections.append(
                FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
            )
        return SelectionSetNode(selections=tuple(selections))

    def field(self, node: FieldNode, parent: Any) -> FieldNode:
        definition = parent.fields.get(node.name.value) if hasattr(parent, "fields") else None
        arguments = []
        for argument in node.arguments or ():
            arg_def = definition.args.get(argument.name.value) if definition else None
            type_node = _type_node(arg_def.type) if arg_def is not None else None
            arguments.append(self.argument(argument, type_node))
        selection_set = node.selection_set
        if selection_set is not None and definition is not None:
            selection_set = self.selection_set(selection_set, get_named_type(definition.type))
        alias = node.alias
        if alias is None and self.chance(10):
            alias = NameNode(value=f"a{self.draw(st.integers(0, 3))}_{node.name.value}")
        return FieldNode(
            alias=alias,
            name=node.name,
            arguments=tuple(arguments),
            directives=self.condition(),
            selection_set=selection_set,
        )

    def document(self, document: DocumentNode) -> tuple[DocumentNode, dict[str, Any]]:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        root = self.schema.query_type
        selection_set = self.selection_set(operation.selection_set, root)
        reshaped = OperationDefinitionNode(
            operation=operation.operation,
            name=NameNode(value="Generated"),
            variable_definitions=tuple(self.variables),
            directives=(),
            selection_set=selection_set,
        )
        return DocumentNode(definitions=(reshaped, *self.fragments)), self.provided


def _type_node(type_: Any) -> TypeNode:
    from graphql import GraphQLList, GraphQLNonNull, ListTypeNode

    if isinstance(type_, GraphQLNonNull):
        inner: Any = _type_node(type_.of_type)
        return NonNullTypeNode(type=inner)
    if isinstance(type_, GraphQLList):
        return ListTypeNode(type=_type_node(type_.of_type))
    return NamedTypeNode(name=NameNode(value=type_.name))


# Scalars a generated query may have to supply (the reports' required `from`/`to`).
CUSTOM_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "DateTime": st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: StringValueNode(value=moment.isoformat())),
}


def generated(
    schema: GraphQLSchema, names: DemoNames
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(query text, variables) pairs: valid queries aimed at the demo data."""

    @st.composite
    def strategy(draw: Any) -> tuple[str, dict[str, Any]]:
        document = draw(
            queries(schema, print_ast=lambda d: d, allow_x00=False, custom_scalars=CUSTOM_SCALARS)
        )
        reshaped, variables = _Reshaper(draw, schema, names).document(document)
        return print_ast(reshaped), variables

    return strategy()
