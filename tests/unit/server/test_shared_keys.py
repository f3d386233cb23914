"""Who shares a subscription's execution: the same document, variables and grants; a
token's id and name never matter, its bindings always do."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.tokens.model import ApiToken, TokenKind
from server.shared_subscriptions import group_key

QUERY = "subscription { orderStatusChanged { status } }"


def token(token_id: int, **binding: str) -> ApiToken:
    kind = TokenKind.CUSTOMER if "customer" in binding else TokenKind.PARTNER
    return ApiToken(
        id=token_id,
        name=f"t{token_id}",
        kind=kind,
        scopes=frozenset({"orders:read", "catalog:read"}),
        channel=binding.get("channel"),
        location=binding.get("location"),
        created_at=datetime.now(UTC),
        customer=binding.get("customer"),
    )


def test_tokens_with_the_same_grants_share_and_any_binding_separates() -> None:
    same = group_key(QUERY, None, {"a": 1, "b": [1, 2]}, token(1, channel="web"))
    assert same == group_key(QUERY, None, {"b": [1, 2], "a": 1}, token(2, channel="web"))
    different = [
        group_key(QUERY, None, {"a": 1, "b": [1, 2]}, token(1, channel="app")),
        group_key(QUERY, None, {"a": 1, "b": [1, 2]}, token(1)),
        group_key(QUERY, None, {"a": 1, "b": [1, 2]}, token(1, location="lyon")),
        group_key(QUERY, None, {"a": 1, "b": [1, 2]}, None),
        group_key(QUERY, None, {"a": 2, "b": [1, 2]}, token(1, channel="web")),
        group_key(QUERY, "Named", {"a": 1, "b": [1, 2]}, token(1, channel="web")),
        group_key(QUERY + " ", None, {"a": 1, "b": [1, 2]}, token(1, channel="web")),
    ]
    assert same not in different
    assert len(set(different)) == len(different)
    ann = group_key(QUERY, None, {}, token(1, customer="ann@example.com"))
    assert ann == group_key(QUERY, None, {}, token(2, customer="ann@example.com"))
    assert ann != group_key(QUERY, None, {}, token(1, customer="bob@example.com"))


def test_variables_that_cannot_be_keyed_exactly_run_alone() -> None:
    assert group_key(QUERY, None, {"n": 2**70}, token(1)) is None
