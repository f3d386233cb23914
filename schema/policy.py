"""Field policies: who may select each field, declared beside the type that owns it.

Every object and interface type of the schema decorates its class with `@guard(...)`
naming a policy for each of its GraphQL fields. The access guard (server/access.py) reads
them from the served schema; a field without a policy is refused at run time and fails the
coverage test (tests/api/test_policy_coverage.py), so a field added later without one
breaks the build instead of opening a hole.

A policy is static: it depends on the token, never on the row. Row-level visibility
(which channel, location or customer a token may see) is decided by the domain's Actor
(domain/access.py) at every entry point that loads by id or code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypeVar

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from domain.tokens.model import ApiToken

T = TypeVar("T")

POLICIES_ATTRIBUTE = "__orchestra_policies__"
ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})
DEFINITION = "strawberry-definition"  # strawberry's back-reference from graphql-core types

Refusal = Literal["authentication", "scope", "unbound", "location"]


@dataclass(frozen=True, slots=True)
class Policy:
    """What a token needs to select a field.

    `any_of` scopes: holding one suffices (empty and not public: any token). `kinds`: token
    kinds that may select it without a scope (a customer reading its own data).
    `unbound_only`: channel- and location-bound tokens are refused (configuration that
    spans channels and locations). `no_location_binding`: location-bound tokens are refused
    (figures that add up other locations' stock). `channel_arg`: the argument (dotted path
    into an input object) a channel-bound token must set to its own channel.
    """

    any_of: frozenset[str] = frozenset()
    public: bool = False
    kinds: frozenset[str] = frozenset()
    unbound_only: bool = False
    no_location_binding: bool = False
    channel_arg: str | None = None

    def describe(self) -> str:
        if self.public:
            return "public"
        wanted = " or ".join(sorted(self.any_of)) or "any token"
        if self.kinds:
            wanted += " (or a " + "/".join(sorted(self.kinds)) + " token)"
        return wanted


PUBLIC = Policy(public=True)
"""Anyone, anonymous included: introspection-like and harmless fields, and the fields of
value types (Money, PageInfo, UserError, payloads) that are reachable only through a field
that is itself guarded."""

AUTHENTICATED = Policy()
"""Any valid token, whatever its scopes."""


def needs(
    *scopes: str,
    kinds: tuple[str, ...] = (),
    unbound_only: bool = False,
    no_location_binding: bool = False,
    channel_arg: str | None = None,
) -> Policy:
    """A token holding any one of `scopes`."""
    if not scopes and not kinds:
        raise ValueError("needs() takes at least one scope or kind; use AUTHENTICATED")
    return Policy(
        any_of=frozenset(scopes),
        kinds=frozenset(kinds),
        unbound_only=unbound_only,
        no_location_binding=no_location_binding,
        channel_arg=channel_arg,
    )


def guard(**fields: Policy) -> Callable[[T], T]:
    """Declare the policy of each field of the decorated strawberry type, by GraphQL name.

    Root parts (`CatalogQuery`, `InventoryMutation`, …) declare their own fields; the
    merged root type gathers them.
    """

    def declare(cls: T) -> T:
        existing: dict[str, Policy] = dict(getattr(cls, "__dict__", {}).get(POLICIES_ATTRIBUTE, {}))
        clash = existing.keys() & fields.keys()
        if clash:
            raise ValueError(f"policies declared twice for {sorted(clash)}")
        existing.update(fields)
        setattr(cls, POLICIES_ATTRIBUTE, existing)
        return cls

    return declare


def declared(cls: type[Any], include_bases: bool) -> Mapping[str, Policy]:
    """Policies declared on the class (and, for merged root types, on its parts)."""
    classes: Iterator[type[Any]] = iter(reversed(cls.__mro__)) if include_bases else iter((cls,))
    found: dict[str, Policy] = {}
    for klass in classes:
        found.update(klass.__dict__.get(POLICIES_ATTRIBUTE, {}))
    return found


PolicyTable = Mapping[tuple[str, str], Policy]


class PolicyDeclarationError(Exception):
    """A policy names a field its type does not have (a typo would silently guard nothing)."""


def _guarded_types(
    schema: GraphQLSchema,
) -> Iterator[tuple[str, GraphQLObjectType | GraphQLInterfaceType]]:
    for name, graphql_type in schema.type_map.items():
        if not name.startswith("__") and isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            yield name, graphql_type


@lru_cache(maxsize=8)
def policy_table(schema: GraphQLSchema) -> PolicyTable:
    """(type, field) -> policy for every declared field of the served schema."""
    table: dict[tuple[str, str], Policy] = {}
    for name, graphql_type in _guarded_types(schema):
        definition = (graphql_type.extensions or {}).get(DEFINITION)
        origin = getattr(definition, "origin", None)
        if origin is None:
            continue
        policies = declared(origin, include_bases=name in ROOT_TYPES)
        unknown = sorted(policies.keys() - graphql_type.fields.keys())
        if unknown:
            raise PolicyDeclarationError(f"{name} declares policies for unknown fields {unknown}")
        for field_name, policy in policies.items():
            table[(name, field_name)] = policy
    return table


def uncovered_fields(schema: GraphQLSchema) -> list[str]:
    """Schema coordinates without a policy (the coverage test asserts there are none)."""
    table = policy_table(schema)
    return sorted(
        f"{name}.{field}"
        for name, graphql_type in _guarded_types(schema)
        for field in graphql_type.fields
        if (name, field) not in table
    )


def refusal(policy: Policy, token: ApiToken | None) -> Refusal | None:
    """Why the token may not select a field under this policy; None when it may."""
    if policy.public:
        return None
    if token is None:
        return "authentication"
    if (policy.any_of or policy.kinds) and not (
        policy.any_of & token.scopes or token.kind.value in policy.kinds
    ):
        return "scope"
    if policy.unbound_only and (token.channel is not None or token.location is not None):
        return "unbound"
    if policy.no_location_binding and token.location is not None:
        return "location"
    return None


def allows(policy: Policy | None, token: ApiToken | None) -> bool:
    """Whether the token satisfies the policy; a missing policy allows nothing."""
    return policy is not None and refusal(policy, token) is None


# The policies most types use, named once.
CATALOG = needs("catalog:read")
INVENTORY = needs("inventory:read")
# Figures summed over a channel's locations: a location-bound token may not see them.
CHANNEL_STOCK = needs("inventory:read", no_location_binding=True)
# Sensitive: margins. Storefront, customer and partner tokens can hold neither scope.
COST = needs("catalog:write", "finance:read")
