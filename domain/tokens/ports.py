"""What token use cases need from persistence."""

from __future__ import annotations

from typing import Protocol

from domain.tokens.model import ApiToken, CreateToken, TokenKind


class TokenRepository(Protocol):
    async def add(
        self,
        cmd: CreateToken,
        kind: TokenKind,
        secret_hash: str,
        channel_id: int | None,
        location_id: int | None,
    ) -> ApiToken: ...


class TokenPorts(Protocol):
    """The tokens' part of the unit of work."""

    @property
    def tokens(self) -> TokenRepository: ...
