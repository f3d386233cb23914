"""Token resolvers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.errors import DomainError, not_found
from domain.tokens import handlers
from domain.tokens.model import ApiToken, CreateToken, RevokeToken
from domain.validation import MAX_INT
from resolvers.context import Context
from resolvers.ids import parse_int_id
from resolvers.results import TokenResult

if TYPE_CHECKING:
    from schema.inputs import ApiTokenInput


def viewer(ctx: Context) -> ApiToken | None:
    return ctx.token


async def api_token_create(ctx: Context, data: ApiTokenInput) -> TokenResult:
    cmd = CreateToken(
        data.name, data.kind, tuple(data.scopes), data.channel, data.location, data.customer
    )
    try:
        token, secret = await handlers.create_token(cmd, ctx.uow(), ctx.actor)
    except DomainError as error:
        return TokenResult(user_errors=error.errors)
    return TokenResult(token, secret)


async def api_token_revoke(ctx: Context, token_id: str) -> TokenResult:
    parsed = parse_int_id(token_id, "ApiToken")
    if parsed is None or parsed > MAX_INT or ctx.token is None:  # (the policy needs a token)
        return TokenResult(user_errors=[not_found(("id",), "Unknown token.")])
    try:
        token = await handlers.revoke_token(
            RevokeToken(parsed), ctx.uow(), datetime.now(UTC), ctx.actor
        )
    except DomainError as error:
        return TokenResult(user_errors=error.errors)
    # Deliver the revocation on this worker before answering, so the caller's next request
    # here is refused; other workers get it through the event log moments later.
    await ctx.bus.flush()
    return TokenResult(token)
