"""Who may revoke whom: itself, and what it could have minted."""

from __future__ import annotations

from datetime import datetime

from domain.tokens.model import ApiToken, TokenKind


def token(
    token_id: int, scopes: set[str], channel: str | None = None, location: str | None = None
) -> ApiToken:
    return ApiToken(
        token_id,
        f"t{token_id}",
        TokenKind.ADMIN,
        frozenset(scopes),
        channel,
        location,
        datetime(2026, 1, 1),
    )


ISSUER = {"tokens:write", "catalog:read", "inventory:read"}


def test_an_unbound_token_could_mint_any_binding_within_its_scopes() -> None:
    issuer = token(1, ISSUER)
    assert issuer.could_mint(token(2, {"catalog:read"}))
    assert issuer.could_mint(token(3, {"catalog:read"}, channel="web"))
    assert issuer.could_mint(token(4, {"inventory:read"}, location="wh"))
    assert not issuer.could_mint(token(5, {"catalog:read", "orders:read"}))


def test_a_bound_token_could_mint_only_the_same_binding() -> None:
    issuer = token(1, ISSUER, channel="web")
    assert issuer.could_mint(token(2, {"catalog:read"}, channel="web"))
    assert not issuer.could_mint(token(3, {"catalog:read"}))
    assert not issuer.could_mint(token(4, {"catalog:read"}, channel="app"))
    assert not issuer.could_mint(token(5, {"catalog:read"}, location="wh"))
    at_location = token(6, ISSUER, location="wh")
    assert at_location.could_mint(token(7, {"inventory:read"}, location="wh"))
    assert not at_location.could_mint(token(8, {"inventory:read"}, location="other"))


def test_a_token_may_revoke_itself_even_beyond_what_it_could_mint() -> None:
    bound = token(1, {"catalog:read"}, channel="web")
    assert bound.may_revoke(bound)
    assert not bound.may_revoke(token(2, {"catalog:read"}))
