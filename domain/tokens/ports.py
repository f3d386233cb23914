"""What token use cases need from persistence."""

from __future__ import annotations

from datetime import datetime
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

    async def by_id(self, token_id: int) -> ApiToken | None: ...

    async def revoke(self, token_id: int, at: datetime) -> ApiToken:
        """Mark revoked (keeping an earlier revocation time) and return the token."""
        ...


class TokenPorts(Protocol):
    """The tokens' part of the unit of work."""

    @property
    def tokens(self) -> TokenRepository: ...
