"""Token fakes: only the hash of a secret is kept, as in the database."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.tokens.model import ApiToken, CreateToken, TokenKind


class FakeTokens:
    STATE = ("hashes",)

    def __init__(self) -> None:
        self.hashes: list[str] = []

    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken:
        self.hashes.append(secret_hash)
        return ApiToken(
            len(self.hashes),
            cmd.name,
            kind,
            frozenset(cmd.scopes),
            cmd.channel,
            cmd.location,
            datetime(2026, 1, 1, tzinfo=UTC),
        )
