"""API token storage: only the hash of a secret is kept."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def token_by_secret_hash(conn: AsyncConnection, secret_hash: str) -> ApiToken | None:
    query = (
        select(
            api_tokens, channels.c.code.label("channel_code"), locations.c.code.label("loc_code")
        )
        .outerjoin(channels, channels.c.id == api_tokens.c.channel_id)
        .outerjoin(locations, locations.c.id == api_tokens.c.location_id)
        .where(api_tokens.c.secret_hash == secret_hash)
    )
    row = (await conn.execute(query)).first()
    return mappers.api_token(row, row.channel_code, row.loc_code) if row else None
