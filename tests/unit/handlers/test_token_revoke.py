"""revoke_token against fakes: one TokenRevoked event, idempotent, refusals change nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.access import Actor
from domain.errors import DomainError, ErrorCode
from domain.tokens.events import TokenRevoked
from domain.tokens.handlers import create_token, revoke_token
from domain.tokens.model import ApiToken, CreateToken, RevokeToken
from tests.unit.handlers.fakes.uow import FakeUnitOfWork

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def issue(uow: FakeUnitOfWork, scopes: tuple[str, ...], channel: str | None = None) -> ApiToken:
    token, _ = asyncio.run(create_token(CreateToken("t", "admin", scopes), uow))
    if channel is not None:  # bound directly: the channel lookup is not what is tested here
        token = uow.tokens.tokens[token.id] = replace(token, channel=channel)
    return token


def actor(token: ApiToken) -> Actor:
    return Actor(
        name=token.name,
        channel=token.channel,
        location=token.location,
        token_id=token.id,
        kind=token.kind.value,
        scopes=token.scopes,
    )


def test_revoking_marks_the_token_and_tells_every_worker_once() -> None:
    uow = FakeUnitOfWork()
    admin = issue(uow, ("tokens:write", "catalog:read"))
    target = issue(uow, ("catalog:read",))
    revoked = asyncio.run(revoke_token(RevokeToken(target.id), uow, NOW, actor(admin)))
    later = datetime(2027, 1, 1, tzinfo=UTC)
    again = asyncio.run(revoke_token(RevokeToken(target.id), uow, later, actor(admin)))
    assert revoked.revoked_at == again.revoked_at == NOW
    assert uow.published == [TokenRevoked(token_id=target.id)]
    assert uow.outbox == [("tokens.revoked", {"token_id": target.id}, 1)]


def test_a_token_it_could_not_have_minted_is_unknown_and_nothing_changes() -> None:
    uow = FakeUnitOfWork()
    bound = issue(uow, ("tokens:write", "catalog:read"), channel="web")
    unbound = issue(uow, ("catalog:read",))
    broader = issue(uow, ("catalog:read", "inventory:read"), channel="web")
    for token_id in (unbound.id, broader.id, 999):
        with pytest.raises(DomainError) as refused:
            asyncio.run(revoke_token(RevokeToken(token_id), uow, NOW, actor(bound)))
        assert [(e.field, e.code) for e in refused.value.errors] == [(("id",), ErrorCode.NOT_FOUND)]
    assert uow.tokens.tokens[unbound.id].revoked_at is None
    assert uow.published == []


def test_a_token_may_revoke_itself() -> None:
    uow = FakeUnitOfWork()
    bound = issue(uow, ("tokens:write",), channel="web")
    revoked = asyncio.run(revoke_token(RevokeToken(bound.id), uow, NOW, actor(bound)))
    assert revoked.revoked_at == NOW
