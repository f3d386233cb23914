"""Authorization, in one place: what each part of a document needs, checked before execution.

Every type and root field that needs a scope is listed here. The requirements of a
document are computed once per (query text, operation) and cached, so the check costs
a dict lookup per request; channel arguments are compared with the token's binding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    get_named_type,
    parse,
    visit,
)
from graphql.language import ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from resolvers.errors import forbidden, unauthenticated

# Selecting any field of these types needs the scope.
TYPE_SCOPES: dict[str, str] = {
    "Product": "catalog:read",
    "Variant": "catalog:read",
    "Category": "catalog:read",
    "Channel": "catalog:read",
    "KitComponent": "catalog:read",
    "Location": "catalog:read",
    "InventoryPosition": "inventory:read",
    "InventoryView": "inventory:read",
    "SkuAvailability": "inventory:read",
    "AvailabilityEvent": "inventory:read",
    "IncomingSupply": "inventory:read",
}

# Root fields (mutations mostly) and the scope each needs.
FIELD_SCOPES: dict[tuple[str, str], str] = {
    ("Mutation", "productCreate"): "catalog:write",
    ("Mutation", "channelCreate"): "catalog:write",
    ("Mutation", "categoryCreate"): "catalog:write",
    ("Mutation", "locationCreate"): "catalog:write",
    ("Mutation", "inventoryViewUpsert"): "inventory:write",
    ("Mutation", "inventorySet"): "inventory:write",
    ("Mutation", "inventoryAdjust"): "inventory:write",
    ("Mutation", "inventoryUpload"): "inventory:write",
    ("Mutation", "incomingSupplyAdd"): "inventory:write",
    ("Mutation", "apiTokenCreate"): "tokens:write",
    ("Mutation", "apiTokenRevoke"): "tokens:write",
    ("Query", "inventoryPositions"): "inventory:read",
    ("Query", "availability"): "inventory:read",
    ("Subscription", "availabilityChanged"): "inventory:read",
}

# Fields whose `channel` argument a channel-bound token must match.
CHANNEL_ARGUMENT_FIELDS = frozenset(
    {
        ("Query", "products"),
        ("Query", "availability"),
        ("Variant", "price"),
        ("Variant", "availability"),
        ("Mutation", "inventoryViewUpsert"),
        ("Subscription", "availabilityChanged"),
    }
)

# Anonymous callers may run documents that need nothing (introspection, `viewer`).
ANONYMOUS_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename", "viewer", "apiLimits"})


# Root fields whose answers are catalog data only (no stock, no per-token data).
CATALOG_ROOT_FIELDS = frozenset({"products", "product", "variant", "channels", "__typename"})


@dataclass(frozen=True, slots=True)
class Requirements:
    scopes: frozenset[str]
    channel_args: tuple[ast.ValueNode, ...]
    needs_token: bool
    catalog_only: bool = False


def requirements(
    schema: GraphQLSchema, document: DocumentNode, operation: str | None
) -> Requirements:
    type_info = TypeInfo(schema)
    scopes: set[str] = set()
    channel_args: list[ast.ValueNode] = []
    roots: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            field_type = type_info.get_type()
            if parent is None:
                return
            key = (parent.name, node.name.value)
            if parent.name in ("Query", "Mutation", "Subscription"):
                roots.add(node.name.value)
            if key in FIELD_SCOPES:
                scopes.add(FIELD_SCOPES[key])
            if field_type is not None:
                named = get_named_type(field_type)
                if named is not None and named.name in TYPE_SCOPES:
                    scopes.add(TYPE_SCOPES[named.name])
            if key in CHANNEL_ARGUMENT_FIELDS:
                for argument in node.arguments or ():
                    if argument.name.value == "channel":
                        channel_args.append(argument.value)

    for definition in _relevant(document, operation):
        visit(definition, TypeInfoVisitor(type_info, Collect()))
    needs_token = bool(scopes) or not roots <= ANONYMOUS_ROOT_FIELDS
    catalog_only = bool(roots) and roots <= CATALOG_ROOT_FIELDS and scopes <= {"catalog:read"}
    return Requirements(frozenset(scopes), tuple(channel_args), needs_token, catalog_only)


def _relevant(document: DocumentNode, operation: str | None) -> Iterator[ast.DefinitionNode]:
    """The chosen operation and every fragment (unused fragments only over-require)."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation is None or (definition.name and definition.name.value == operation):
                yield definition
        else:
            yield definition


@lru_cache(maxsize=1024)
def _cached(schema: GraphQLSchema, query: str, operation: str | None) -> Requirements:
    # Keyed by the query text, not the parsed document: hashing a document walks it on
    # every request. A miss parses the text again, which yields the same document.
    return requirements(schema, parse(query), operation)


def channel_values(args: tuple[ast.ValueNode, ...], variables: dict[str, Any] | None) -> set[Any]:
    values: set[Any] = set()
    for node in args:
        if isinstance(node, StringValueNode):
            values.add(node.value)
        elif isinstance(node, VariableNode):
            values.add((variables or {}).get(node.name.value))
    return values


def document_requirements(ctx: Any) -> Requirements | None:
    """What the execution context's document needs (cached per query text)."""
    if ctx.graphql_document is None or ctx.query is None:
        return None
    return _cached(ctx.schema._schema, ctx.query, ctx.operation_name)


class AccessGuard(SchemaExtension):
    """Refuses the whole operation before execution when a scope or binding is missing."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        needed = document_requirements(ctx)
        if needed is not None:
            error = self._check(needed, ctx.context, ctx.variables)
            if error is not None:
                if ctx.operation_type is OperationType.SUBSCRIPTION:
                    raise error  # strawberry ignores a preset result for subscriptions
                ctx.result = ExecutionResult(data=None, errors=[error])
        yield

    @staticmethod
    def _check(needed: Requirements, context: Any, variables: dict[str, Any] | None) -> Any:
        if getattr(context, "auth_error", None):
            return unauthenticated(context.auth_error)
        token = getattr(context, "token", None)
        if token is None:
            return unauthenticated() if needed.needs_token else None
        missing = sorted(needed.scopes - token.scopes)
        if missing:
            return forbidden(f"This token lacks the scope(s): {', '.join(missing)}.")
        if token.channel is not None and needed.channel_args:
            others = channel_values(needed.channel_args, variables) - {token.channel}
            if others:
                return forbidden(f"This token is bound to channel {token.channel!r}.")
        return None
