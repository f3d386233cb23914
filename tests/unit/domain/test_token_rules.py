"""Who may revoke whom: itself, and what it could have minted (the minting rule)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.access import SYSTEM, Actor
from domain.tokens.model import ApiToken, TokenKind, may_revoke

ISSUER = frozenset({"tokens:write", "catalog:read", "inventory:read"})


def token(
    token_id: int, scopes: set[str], channel: str | None = None, location: str | None = None
) -> ApiToken:
    return ApiToken(
        token_id,
        f"t{token_id}",
        TokenKind.STOREFRONT if channel else TokenKind.ADMIN,
        frozenset(scopes),
        channel,
        location,
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def issuer(channel: str | None = None, location: str | None = None) -> Actor:
    return Actor(channel=channel, location=location, token_id=1, kind="admin", scopes=ISSUER)


def test_an_unbound_token_may_revoke_any_binding_within_its_scopes() -> None:
    assert may_revoke(issuer(), token(2, {"catalog:read"}))
    assert may_revoke(issuer(), token(3, {"catalog:read"}, channel="web"))
    assert may_revoke(issuer(), token(4, {"inventory:read"}, location="wh"))
    assert not may_revoke(issuer(), token(5, {"catalog:read", "orders:read"}))


def test_a_bound_token_may_revoke_only_its_own_binding() -> None:
    web = issuer(channel="web")
    assert may_revoke(web, token(2, {"catalog:read"}, channel="web"))
    assert not may_revoke(web, token(3, {"catalog:read"}))
    assert not may_revoke(web, token(4, {"catalog:read"}, channel="app"))
    assert not may_revoke(web, token(5, {"catalog:read"}, location="wh"))
    wh = issuer(location="wh")
    assert may_revoke(wh, token(6, {"inventory:read"}, location="wh"))
    assert not may_revoke(wh, token(7, {"inventory:read"}, location="other"))


def test_a_token_may_revoke_itself_and_the_system_anything() -> None:
    narrow = Actor(channel="web", token_id=9, kind="storefront", scopes=frozenset())
    assert may_revoke(narrow, token(9, {"catalog:read", "inventory:read"}, channel="web"))
    assert not may_revoke(narrow, token(10, {"catalog:read"}, channel="web"))
    assert may_revoke(SYSTEM, token(11, {"catalog:read", "orders:read"}))
