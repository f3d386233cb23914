"""Token fakes: only the hash of a secret is kept, as in the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from domain.tokens.model import ApiToken, CreateToken, TokenKind


class FakeTokens:
    STATE = ("hashes", "tokens")

    def __init__(self) -> None:
        self.hashes: list[str] = []
        self.tokens: dict[int, ApiToken] = {}

    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken:
        self.hashes.append(secret_hash)
        token = ApiToken(
            len(self.hashes),
            cmd.name,
            kind,
            frozenset(cmd.scopes),
            cmd.channel,
            cmd.location,
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        self.tokens[token.id] = token
        return token

    async def by_id(self, token_id: int) -> ApiToken | None:
        return self.tokens.get(token_id)

    async def revoke(self, token_id: int, at: datetime) -> ApiToken:
        token = self.tokens[token_id]
        if token.revoked_at is None:
            token = self.tokens[token_id] = replace(token, revoked_at=at)
        return token
