"""Authorization, in one place: what a document needs, decided by the type owning each field.

Policies are declared beside each type (schema/policy.py). For a document, every field
is looked up by its owner type — so `... on Variant { unitCost }` under `node` needs what
`Variant.unitCost` needs — fragments included. The result is computed once per (query
text, operation) and cached; a request then costs a check of a handful of policies
against its token. A field without a policy is refused (fail closed).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    visit,
)
from graphql.language import ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from domain.tokens.model import ApiToken
from resolvers.errors import ApiError, forbidden, unauthenticated
from schema.policy import PUBLIC, Policy, policy_table, refusal

log = logging.getLogger("orchestra.access")

ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})

# Root fields whose answers are catalog data only (no stock, no per-token data).
CATALOG_ROOT_FIELDS = frozenset({"products", "product", "variant", "channels", "__typename"})


@dataclass(frozen=True, slots=True)
class ChannelArgument:
    coordinate: str
    path: tuple[str, ...]  # argument name, then keys into an input object
    value: ast.ValueNode


@dataclass(frozen=True, slots=True)
class Requirements:
    policies: Mapping[Policy, str]  # each distinct policy, with one coordinate needing it
    channel_args: tuple[ChannelArgument, ...]
    uncovered: tuple[str, ...]
    needs_token: bool
    catalog_only: bool = False


def requirements(
    schema: GraphQLSchema, document: DocumentNode, operation: str | None
) -> Requirements:
    table = policy_table(schema)
    type_info = TypeInfo(schema)
    policies: dict[Policy, str] = {}
    channel_args: list[ChannelArgument] = []
    uncovered: list[str] = []
    roots: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            name = node.name.value
            if parent is None or name.startswith("__") or parent.name.startswith("__"):
                return  # introspection and __typename are public
            coordinate = f"{parent.name}.{name}"
            if parent.name in ROOT_TYPES:
                roots.add(name)
            policy = table.get((parent.name, name))
            if policy is None:
                uncovered.append(coordinate)
                return
            if policy is not PUBLIC and policy not in policies:
                policies[policy] = coordinate
            if policy.channel_arg is not None:
                found = _argument(node, policy.channel_arg)
                if found is not None:
                    path, value = found
                    channel_args.append(ChannelArgument(coordinate, path, value))

    for definition in _relevant(document, operation):
        visit(definition, TypeInfoVisitor(type_info, Collect()))
    needs_token = any(not policy.public for policy in policies)
    catalog_only = (
        bool(roots)
        and roots <= CATALOG_ROOT_FIELDS
        and all(policy.any_of <= {"catalog:read"} for policy in policies)
    )
    return Requirements(
        policies, tuple(channel_args), tuple(sorted(set(uncovered))), needs_token, catalog_only
    )


def _argument(node: FieldNode, dotted: str) -> tuple[tuple[str, ...], ast.ValueNode] | None:
    """The AST value of the argument a dotted path (`arg` or `arg.key…`) starts at."""
    path = tuple(dotted.split("."))
    value = next((a.value for a in node.arguments or () if a.name.value == path[0]), None)
    return None if value is None else (path, value)


def _relevant(document: DocumentNode, operation: str | None) -> Iterator[ast.DefinitionNode]:
    """The chosen operation and every fragment (unused fragments only over-require)."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation is None or (definition.name and definition.name.value == operation):
                yield definition
        else:
            yield definition


class RequirementsCache:
    """Requirements per (schema, query digest, operation), bounded by entry count.

    Keyed by a digest rather than the text, so the cache holds ~100 bytes per document
    whatever the document's size; blake2b is collision-resistant, so no document can be
    made to borrow another's requirements."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[int, bytes, str | None], Requirements] = OrderedDict()

    def get(
        self, schema: GraphQLSchema, query: str, operation: str | None, document: DocumentNode
    ) -> Requirements:
        digest = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=20).digest()
        key = (id(schema), digest, operation)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        found = requirements(schema, document, operation)
        self._entries[key] = found
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return found


_cache = RequirementsCache()


def document_requirements(ctx: Any) -> Requirements | None:
    """What the execution context's document needs (cached per query text)."""
    if ctx.graphql_document is None or ctx.query is None:
        return None
    return requirements_for(ctx.schema._schema, ctx.query, ctx.operation_name, ctx.graphql_document)


def requirements_for(
    schema: GraphQLSchema, query: str, operation: str | None, document: DocumentNode
) -> Requirements:
    """What `operation` of a validated document needs (cached per query text)."""
    return _cache.get(schema, query, operation, document)


def refusal_for(
    needed: Requirements, context: Any, variables: Mapping[str, Any] | None
) -> ApiError | None:
    """The error refusing the operation to this request's caller, or None."""
    if getattr(context, "auth_error", None):
        return unauthenticated(context.auth_error)
    return check(needed, getattr(context, "token", None), variables)


def check(
    needed: Requirements, token: ApiToken | None, variables: Mapping[str, Any] | None
) -> ApiError | None:
    """The error refusing the whole operation, or None when the token may run it."""
    if needed.uncovered:
        log.error("fields without an access policy were requested: %s", needed.uncovered)
        return forbidden(f"No access policy is declared for {', '.join(needed.uncovered)}.")
    if token is None:
        return unauthenticated() if needed.needs_token else None
    lacking: list[str] = []
    for policy, coordinate in needed.policies.items():
        reason = refusal(policy, token)
        if reason == "scope":
            lacking.append(f"{coordinate} needs {policy.describe()}")
        elif reason == "unbound":
            return forbidden(
                f"{coordinate} changes configuration shared by every channel and location; "
                "a channel- or location-bound token may not use it."
            )
        elif reason == "location":
            return forbidden(
                f"{coordinate} includes other locations' stock; a location-bound token may "
                "read its own location through inventoryPositions."
            )
    if lacking:
        return forbidden("This token lacks a scope: " + "; ".join(sorted(lacking)) + ".")
    if token.channel is not None:
        for argument in needed.channel_args:
            value = _value(argument, variables)
            if value is not None and value != token.channel:
                return forbidden(
                    f"This token is bound to channel {token.channel!r} "
                    f"({argument.coordinate} asked for another)."
                )
    return None


def _value(argument: ChannelArgument, variables: Mapping[str, Any] | None) -> Any:
    node: Any = argument.value
    path = list(argument.path[1:])
    # Walk the literal as far as it goes; a variable holds the rest of the path.
    while isinstance(node, ObjectValueNode) and path:
        key = path.pop(0)
        node = next((f.value for f in node.fields if f.name.value == key), None)
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, VariableNode):
        value: Any = (variables or {}).get(node.name.value)
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value
    return None


class AccessGuard(SchemaExtension):
    """Refuses the whole operation before execution when a policy is not met."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        needed = document_requirements(ctx)
        if needed is not None:
            error = refusal_for(needed, ctx.context, ctx.variables)
            if error is not None:
                if ctx.operation_type is OperationType.SUBSCRIPTION:
                    raise error  # strawberry ignores a preset result for subscriptions
                ctx.result = ExecutionResult(data=None, errors=[error])
        yield
