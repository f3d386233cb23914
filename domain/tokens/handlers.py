"""Token use cases."""

from __future__ import annotations

from datetime import datetime

from domain.access import SYSTEM, Actor
from domain.errors import DomainError, not_found
from domain.ports import UnitOfWork
from domain.tokens.events import TokenRevoked
from domain.tokens.model import (
    ApiToken,
    CreateToken,
    RevokeToken,
    escalation_errors,
    hash_secret,
    may_revoke,
    new_secret,
    parse_kind,
    validate_token,
)


async def create_token(
    cmd: CreateToken, uow: UnitOfWork, actor: Actor = SYSTEM
) -> tuple[ApiToken, str]:
    """Issue a token. Returns it with its secret, which is never stored or shown again.

    The new token can hold no scope and no wider binding than the actor minting it."""
    errors = validate_token(cmd) or escalation_errors(actor, cmd)
    kind = parse_kind(cmd.kind)
    if errors or kind is None:
        raise DomainError(errors)
    async with uow:
        channel_id = location_id = None
        if cmd.channel is not None:
            channel = (await uow.catalog.channels_by_code([cmd.channel])).get(cmd.channel)
            if channel is None:
                raise DomainError([not_found(("input", "channel"), "Unknown channel.")])
            channel_id = channel.id
        if cmd.location is not None:
            location = (await uow.locations.by_codes([cmd.location])).get(cmd.location)
            if location is None:
                raise DomainError([not_found(("input", "location"), "Unknown location.")])
            location_id = location.id
        secret = new_secret()
        token = await uow.tokens.add(cmd, kind, hash_secret(secret), channel_id, location_id)
        await uow.commit()
    return token, secret


async def revoke_token(
    cmd: RevokeToken, uow: UnitOfWork, now: datetime, actor: Actor = SYSTEM
) -> ApiToken:
    """Mark the token revoked and tell every worker (TokenRevoked, through the outbox).

    A token the actor could not have minted is reported as unknown, so its existence is
    not revealed. Revoking twice changes nothing."""
    async with uow:
        token = await uow.tokens.by_id(cmd.token_id)
        if token is None or not may_revoke(actor, token):
            raise DomainError([not_found(("id",), "Unknown token.")])
        if token.revoked_at is not None:
            return token
        token = await uow.tokens.revoke(token.id, now)
        uow.events.add(TokenRevoked(token_id=token.id))
        await uow.commit()
    return token
