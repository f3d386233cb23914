"""revoke_token against fakes: one TokenRevoked event, idempotent, refusals change nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from domain.errors import DomainError, ErrorCode
from domain.tokens.handlers import create_token, revoke_token
from domain.tokens.model import ApiToken, CreateToken, RevokeToken
from tests.unit.handlers.fakes import FakeUnitOfWork

NOW = datetime(2026, 3, 1, 12, 0)


def issue(uow: FakeUnitOfWork, scopes: tuple[str, ...], channel: str | None = None) -> ApiToken:
    token, _ = asyncio.run(create_token(CreateToken("t", "admin", scopes), uow))
    if channel is not None:  # the fake skips channel lookups: bind it directly
        token = uow.tokens.tokens[token.id] = ApiToken(
            token.id, token.name, token.kind, token.scopes, channel, None, token.created_at
        )
    return token


def test_revoking_marks_the_token_and_tells_every_worker_once() -> None:
    uow = FakeUnitOfWork()
    admin = issue(uow, ("tokens:write", "catalog:read"))
    target = issue(uow, ("catalog:read",))
    commits = uow.commits
    revoked = asyncio.run(revoke_token(RevokeToken(target.id), admin, uow, NOW))
    again = asyncio.run(revoke_token(RevokeToken(target.id), admin, uow, datetime(2027, 1, 1)))
    assert revoked.revoked_at == again.revoked_at == NOW
    assert uow.outbox.events == [("tokens", {"type": "TokenRevoked", "tokenId": target.id})]
    assert uow.commits == commits + 1


def test_a_token_it_could_not_have_minted_is_unknown_and_nothing_changes() -> None:
    uow = FakeUnitOfWork()
    bound = issue(uow, ("tokens:write", "catalog:read"), channel="web")
    unbound = issue(uow, ("catalog:read",))
    commits = uow.commits
    for token_id in (unbound.id, 999):
        with pytest.raises(DomainError) as refused:
            asyncio.run(revoke_token(RevokeToken(token_id), bound, uow, NOW))
        assert [(e.field, e.code) for e in refused.value.errors] == [(("id",), ErrorCode.NOT_FOUND)]
    assert uow.tokens.tokens[unbound.id].revoked_at is None
    assert uow.outbox.events == []
    assert uow.commits == commits
