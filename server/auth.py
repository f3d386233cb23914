"""Bearer token authentication. Only the SHA-256 of a secret is ever looked up or stored.

Hits are cached briefly so hot paths skip a query. Revocation does not wait for the cache
to expire: `TokenRevoked` events from the event log (every worker tails it) evict the token
here and close its WebSocket connections with 4403.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

from starlette.websockets import WebSocket

from domain.codec import decode
from domain.tokens.events import TokenRevoked
from domain.tokens.model import ApiToken, hash_secret
from persistence.database import Database
from persistence.repositories.tokens import token_by_secret_hash
from subscriptions.bus import OutboxBus

log = logging.getLogger("orchestra.auth")
CACHE_SECONDS = 10.0
CACHE_MAX = 10_000
REVOKED_CLOSE_CODE = 4403
REVOKED_REASON = "Forbidden: token revoked"


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

    def forget(self, token_id: int) -> None:
        for digest in [d for d, (_, token) in self._cache.items() if token.id == token_id]:
            del self._cache[digest]


class Revocations:
    """Applies `TokenRevoked` on this worker: cache, subscriptions, open connections."""

    def __init__(self, auth: Authenticator, bus: OutboxBus) -> None:
        self.auth = auth
        self.bus = bus
        self.applied = 0
        # Weak: a connection that ended on its own needs no bookkeeping to be forgotten.
        self._sockets: dict[int, weakref.WeakSet[WebSocket]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        bus.listen(TokenRevoked.topic, self._on_event)

    def track(self, token_id: int, websocket: WebSocket) -> None:
        self._sockets.setdefault(token_id, weakref.WeakSet()).add(websocket)

    def _on_event(self, payload: dict[str, Any]) -> None:
        token_id = decode(TokenRevoked, payload).token_id
        self.auth.forget(token_id)
        self.bus.fanout.drop_owner(token_id)
        for websocket in list(self._sockets.pop(token_id, ())):
            task = asyncio.create_task(_close(websocket))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self.applied += 1
        log.info("token %d revoked: cache evicted, connections closed", token_id)


async def _close(websocket: WebSocket) -> None:
    with contextlib.suppress(Exception):  # it may have closed by itself meanwhile
        await websocket.close(code=REVOKED_CLOSE_CODE, reason=REVOKED_REASON)
