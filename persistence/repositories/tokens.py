"""API token storage: only the hash of a secret is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from domain.tokens.model import ApiToken, CreateToken, TokenKind
from persistence import mappers
from persistence.clock import utcnow
from persistence.tables import api_tokens, channels, locations


class SqlTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken:
        created_at = utcnow()
        token_id = (
            await self.conn.execute(
                insert(api_tokens)
                .values(
                    name=cmd.name,
                    kind=kind.value,
                    scopes=" ".join(sorted(set(cmd.scopes))),
                    channel_id=channel_id,
                    location_id=location_id,
                    secret_hash=secret_hash,
                    created_at=created_at,
                    customer_email=cmd.customer_email,
                )
                .returning(api_tokens.c.id)
            )
        ).scalar_one()
        return ApiToken(
            token_id,
            cmd.name,
            kind,
            frozenset(cmd.scopes),
            cmd.channel,
            cmd.location,
            created_at,
            cmd.customer_email,
        )

    async def by_id(self, token_id: int) -> ApiToken | None:
        row = (await self.conn.execute(_tokens().where(api_tokens.c.id == token_id))).first()
        return mappers.api_token(row, row.channel_code, row.loc_code) if row else None

    async def revoke(self, token_id: int, at: datetime) -> ApiToken:
        await self.conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id)
            .values(revoked_at=func.coalesce(api_tokens.c.revoked_at, at))
        )
        token = await self.by_id(token_id)
        assert token is not None
        return token


def _tokens() -> Select[Any]:
    return (
        select(
            api_tokens, channels.c.code.label("channel_code"), locations.c.code.label("loc_code")
        )
        .outerjoin(channels, channels.c.id == api_tokens.c.channel_id)
        .outerjoin(locations, locations.c.id == api_tokens.c.location_id)
    )


async def token_by_secret_hash(conn: AsyncConnection, secret_hash: str) -> ApiToken | None:
    """The live token with this secret hash; a revoked token is as good as unknown."""
    query = _tokens().where(
        api_tokens.c.secret_hash == secret_hash, api_tokens.c.revoked_at.is_(None)
    )
    row = (await conn.execute(query)).first()
    return mappers.api_token(row, row.channel_code, row.loc_code) if row else None
