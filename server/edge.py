"""What every request passes first: a request id, and JSON for faults that escape.

The request id is the client's `X-Request-Id` when it is 1-64 characters of
[A-Za-z0-9._-] (so it is safe to log and echo), otherwise one we generate. It is echoed in
the response header, put in `scope["state"]["request_id"]` for the GraphQL context and
logs, and carried by every error.

A fault that escapes the application (the database unreachable while a token is looked
up, say) is answered as GraphQL-over-HTTP JSON with a code and the request id, never as
Starlette's plain-text 500: 503 `UNAVAILABLE` with Retry-After when a backing service is
unreachable, 500 `INTERNAL` otherwise.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy import exc as sa_exc
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("orchestra.errors")
REQUEST_ID_HEADER = b"x-request-id"
_VALID_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_NETWORK_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN})
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


def new_request_id() -> str:
    # 16 hex digits, as uuid4().hex[:16] gave, without building a UUID per request.
    return os.urandom(8).hex()


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _VALID_ID.fullmatch(value) else new_request_id()
    return new_request_id()


def is_unavailable(error: BaseException | None) -> bool:
    """A backing service (the database) could not be reached or dropped the connection."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(
            error, ConnectionError | TimeoutError | socket.gaierror | sa_exc.TimeoutError
        ):
            return True
        if isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def error_body(message: str, code: str, request_id: str) -> bytes:
    error = {"message": message, "extensions": {"code": code, "requestId": request_id}}
    return json.dumps({"errors": [error]}).encode()


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, on_response: Callable[[str, int], None] | None = None) -> None:
        self.app = app
        self.on_response = on_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        started = False
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if started:
                raise
            status = await self._fault(error, request_id, send_with_id)
        finally:
            if self.on_response is not None:
                path = scope.get("path", "")
                self.on_response(path if path in ROUTES else "other", status)

    @staticmethod
    async def _fault(error: Exception, request_id: str, send: Send) -> int:
        unavailable = is_unavailable(error)
        if unavailable:
            # One line, no traceback: during an outage this repeats for every request.
            log.error("request %s: service unavailable: %r", request_id, error)
            status, code, message = 503, "UNAVAILABLE", "Service temporarily unavailable."
        else:
            log.error("request %s failed", request_id, exc_info=error)
            status, code, message = 500, "INTERNAL", "Internal server error."
        body = error_body(message, code, request_id)
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if unavailable:
            headers.append((b"retry-after", b"1"))
        start: dict[str, Any] = {"type": "http.response.start", "status": status}
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status
