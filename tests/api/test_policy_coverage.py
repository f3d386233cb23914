"""Every field of the served schema has a declared policy, and a missing one fails closed."""

from __future__ import annotations

import pytest
import strawberry
from graphql import parse

from schema import catalog
from schema.policy import (
    POLICIES_ATTRIBUTE,
    PUBLIC,
    PolicyDeclarationError,
    guard,
    policy_table,
    uncovered_fields,
)
from schema.root import build_schema
from server.access import check, requirements
from tests.factories import TOKEN_ADMIN_ALL


def test_every_field_of_the_served_schema_has_a_policy() -> None:
    schema = build_schema()
    assert uncovered_fields(schema._schema) == []
    # Root fields too, and the contract's sensitive field is not public.
    table = policy_table(schema._schema)
    assert ("Query", "products") in table
    assert ("Mutation", "apiTokenCreate") in table
    assert table[("Variant", "unitCost")].any_of == {"catalog:write", "finance:read"}


def test_removing_a_policy_is_caught_and_the_field_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    declared = dict(vars(catalog.Variant)[POLICIES_ATTRIBUTE])
    del declared["unitCost"]
    monkeypatch.setattr(catalog.Variant, POLICIES_ATTRIBUTE, declared)
    schema = build_schema()._schema
    assert uncovered_fields(schema) == ["Variant.unitCost"]

    needed = requirements(schema, parse('{ variant(sku: "x") { sku unitCost } }'), None)
    error = check(needed, TOKEN_ADMIN_ALL, {})
    assert error is not None
    assert error.extensions == {"code": "FORBIDDEN"}
    assert "Variant.unitCost" in error.message


@strawberry.type
class Secret:
    value: str


@guard(secret=PUBLIC)
@strawberry.type
class UnguardedQuery:
    @strawberry.field
    def secret(self) -> Secret:
        return Secret(value="s")


@guard(value=PUBLIC, valeu=PUBLIC)
@strawberry.type
class Typo:
    value: str


@guard(typo=PUBLIC)
@strawberry.type
class TypoQuery:
    @strawberry.field
    def typo(self) -> Typo:
        return Typo(value="v")


def test_a_type_added_without_policies_is_reported() -> None:
    schema = strawberry.Schema(query=UnguardedQuery)._schema
    assert uncovered_fields(schema) == ["Secret.value"]


def test_a_policy_for_a_field_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(PolicyDeclarationError, match="valeu"):
        policy_table(strawberry.Schema(query=TypoQuery)._schema)
