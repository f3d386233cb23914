"""Token resolvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import DomainError
from domain.tokens import handlers
from domain.tokens.model import ApiToken, CreateToken
from resolvers.context import Context
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
