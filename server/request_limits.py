"""Request limits applied before any GraphQL work: body size and request rate.

An ASGI middleware, so a refused request costs neither a body read nor a parse:
- bodies over `max_body_bytes` (multipart uploads with a token: `max_upload_bytes`) get
  413 REQUEST_TOO_LARGE, from Content-Length at once, or as soon as a streamed body
  passes the limit;
- each token (by its secret, no database lookup) and each anonymous client IP has a
  request bucket; an empty bucket gets 429 RATE_LIMITED with Retry-After;
- queries over their per-minute cost budget (server/query_cost.py) are answered 429 with
  Retry-After here too: that extension leaves the delay in the request's scope state.

The buckets (server/ratelimit.py) live in this middleware, reachable from the GraphQL
layer through `throttle_of(scope)`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.graphql_http import request_id
from server.limit_settings import LimitSettings
from server.ratelimit import Buckets, Decision, Rule, create_buckets
from server.settings import Settings

log = logging.getLogger("orchestra.http")
THROTTLE = "orchestra.throttle"
RETRY_AFTER = "orchestra.retry_after"
LIMITED_PATHS = ("/graphql",)


class Throttle:
    """Request and cost buckets, keyed by token or client IP."""

    def __init__(self, limits: LimitSettings, buckets: Buckets) -> None:
        self.buckets = buckets
        self.limits = limits
        self._request_rules = {
            anonymous: Rule(capacity=max(1.0, 2 * rate), per_second=rate)
            for anonymous, rate in (
                (False, limits.token_requests_per_second),
                (True, limits.anonymous_requests_per_second),
            )
            if rate > 0
        }
        self._cost_rules = {
            kind: Rule.per_minute(budget) for kind, budget in limits.cost_budgets if budget > 0
        }

    async def request(self, key: str, anonymous: bool) -> Decision | None:
        rule = self._request_rules.get(anonymous)
        return None if rule is None else await self.buckets.take("req:" + key, 1, rule)

    def cost_rule(self, kind: str) -> Rule | None:
        return self._cost_rules.get(kind)

    async def charge(self, key: str, kind: str, cost: int) -> Decision | None:
        """Spend `cost` from the caller's budget; None when that kind has no budget. A
        query dearer than the whole budget needs a full bucket."""
        rule = self._cost_rules.get(kind)
        if rule is None:
            return None
        return await self.buckets.take("cost:" + key, min(cost, rule.capacity), rule)


def throttle_of(scope: Scope) -> Throttle | None:
    found = scope.get("state", {}).get(THROTTLE)
    return found if isinstance(found, Throttle) else None


def request_key(scope: Scope) -> tuple[str, bool]:
    """(bucket key, anonymous): a digest of the bearer secret, or the client's IP."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.strip():
            return "key:" + hashlib.sha256(b"rate-limit:" + value.strip()).hexdigest()[:32], False
    return "ip:" + client_ip(scope), True


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def error_body(scope: Scope, message: str, code: str, **extra: Any) -> bytes:
    """The transport's error shape, with the request id every error body carries."""
    extensions = {"code": code, **extra, "requestId": request_id(HTTPConnection(scope))}
    log.info("request %s refused: %s %s", extensions["requestId"], code, message)
    return json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()


async def respond(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes its limit."""


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = settings.limits
        # One namespace per database: deployments sharing a Redis keep their own buckets.
        namespace = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
        buckets = create_buckets(settings.redis_url, namespace)
        self.throttle = Throttle(settings.limits, buckets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing(send))
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[THROTTLE] = self.throttle
        if scope["type"] == "websocket" or scope["path"] not in LIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key, anonymous = request_key(scope)
        decision = await self.throttle.request(key, anonymous)
        if decision is not None and not decision.allowed:
            await self._too_many(scope, send, decision, anonymous)
            return
        await self._limit_body(scope, receive, send, self._body_limit(scope, anonymous))

    def _body_limit(self, scope: Scope, anonymous: bool) -> int:
        headers = dict(scope.get("headers", ()))
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        if multipart and not anonymous:
            return max(self.limits.max_upload_bytes, self.limits.max_body_bytes)
        return self.limits.max_body_bytes

    async def _limit_body(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, limit)
            return
        received = 0
        overflow = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflow:
                return  # the application's answer to a cut body is replaced below
            if message["type"] == "http.response.start":
                started = True
                retry = scope.get("state", {}).get(RETRY_AFTER)
                if retry is not None:
                    message = _throttled(message, retry)
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not overflow:
                raise
        if overflow and not started:
            await self._too_large(scope, send, limit)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        body = error_body(
            scope,
            f"The request body is larger than {limit} bytes.",
            "REQUEST_TOO_LARGE",
            limit=limit,
        )
        await respond(send, 413, body, (b"connection", b"close"))

    async def _too_many(
        self, scope: Scope, send: Send, decision: Decision, anonymous: bool
    ) -> None:
        who = "client IP" if anonymous else "token"
        rate = (
            self.limits.anonymous_requests_per_second
            if anonymous
            else self.limits.token_requests_per_second
        )
        body = error_body(
            scope,
            f"Too many requests: {rate:g} per second per {who}; "
            f"retry in {decision.retry_seconds} s.",
            "RATE_LIMITED",
            retryAfter=decision.retry_seconds,
        )
        await respond(send, 429, body, (b"retry-after", str(decision.retry_seconds).encode()))

    def _closing(self, send: Send) -> Send:
        async def closing_send(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.throttle.buckets.close()
            await send(message)

        return closing_send


def _throttled(message: Message, retry_after: int) -> Message:
    headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"retry-after"]
    headers.append((b"retry-after", str(retry_after).encode()))
    return {**message, "status": 429, "headers": headers}


def install_request_limits(app: Starlette, settings: Settings) -> None:
    app.add_middleware(RequestLimits, settings=settings)
