"""Refuse a GraphQL request at the door while the worker's database line is full.

Checkouts queue for the pool (persistence/admission.py): one line per client (the
token, or the client IP without one, as the rate limit keys them), the clients taking
turns, each client's checkouts in arrival order; a checkout past the line's bound is
refused as UNAVAILABLE wherever it happens. A request that arrives while the line is full
(and its client has as many waiting as any other) would only be parsed, validated and
costed to be refused at its first checkout, so it is refused before any of that: 503
`UNAVAILABLE` with Retry-After, the shape server/edge.py gives a backing service that is
out of reach.
Only /graphql over HTTP: health, readiness and metrics answer as usual, and WebSocket
connections stay open (their operations queue like any other checkout).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from persistence.admission import CLIENT, RETRY_AFTER_SECONDS, Admission
from server.request_limits import error_body, request_key, respond

GATED_PATHS = ("/graphql",)


class AdmissionGate:
    def __init__(self, app: ASGIApp, admission: Admission | None) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission = self.admission
        if admission is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = request_key(scope)[0]
        if scope["type"] == "http" and scope["path"] in GATED_PATHS and admission.refuses(client):
            body = error_body(
                scope,
                f"The server is busy: {admission.waiting} database checkouts are waiting; "
                f"retry in {RETRY_AFTER_SECONDS} s.",
                "UNAVAILABLE",
                retryAfter=RETRY_AFTER_SECONDS,
            )
            await respond(send, 503, body, (b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
            return
        # Every checkout this request makes (in tasks it creates too) waits in its client's
        # line, and the clients take turns: one sending many cannot starve one sending few.
        token = CLIENT.set(client)
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


def install_admission_gate(app: Starlette, admission: Admission | None) -> None:
    if admission is not None:  # SQLite has no pool to queue for
        app.add_middleware(AdmissionGate, admission=admission)
