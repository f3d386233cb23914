"""Bearer token authentication. Only the SHA-256 of a secret is ever looked up or stored."""

from __future__ import annotations

import time

from domain.tokens.model import ApiToken, hash_secret
from persistence.database import Database
from persistence.repositories.tokens import token_by_secret_hash

CACHE_SECONDS = 10.0
CACHE_MAX = 10_000


class InvalidToken(Exception):
    """The request carried credentials that are not a valid token."""


def bearer_secret(header: str | None) -> str | None:
    """The secret from `Bearer <secret>`; None when there is no header; error when malformed."""
    if header is None or not header.strip():
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken("Authorization must be `Bearer <secret>`.")
    return secret.strip()


class Authenticator:
    """Resolves secrets to tokens, caching hits briefly so hot paths skip a query."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, ApiToken]] = {}

    async def authenticate(self, header: str | None) -> ApiToken | None:
        secret = bearer_secret(header)
        if secret is None:
            return None
        digest = hash_secret(secret)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        async with self.db.read() as conn:
            token = await token_by_secret_hash(conn, digest)
        if token is None:
            raise InvalidToken("Unknown or revoked token.")
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (now, token)
        return token
