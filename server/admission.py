"""Refuse a GraphQL request at the door while the worker's database line is full.

Checkouts queue for the pool in arrival order (persistence/admission.py) and a checkout
past the line's bound is refused as UNAVAILABLE wherever it happens. A request that
arrives while the line is already full would only be parsed, validated and costed to be
refused at its first checkout, so it is refused before any of that: 503 `UNAVAILABLE`
with Retry-After, the shape server/edge.py gives a backing service that is out of reach.
Only /graphql over HTTP: health, readiness and metrics answer as usual, and WebSocket
connections stay open (their operations queue like any other checkout).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from persistence.admission import RETRY_AFTER_SECONDS, Admission
from server.request_limits import error_body, respond

GATED_PATHS = ("/graphql",)


class AdmissionGate:
    def __init__(self, app: ASGIApp, admission: Admission | None) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission = self.admission
        if (
            admission is not None
            and admission.full
            and scope["type"] == "http"
            and scope["path"] in GATED_PATHS
        ):
            body = error_body(
                scope,
                f"The server is busy: {admission.waiting} database checkouts are waiting; "
                f"retry in {RETRY_AFTER_SECONDS} s.",
                "UNAVAILABLE",
                retryAfter=RETRY_AFTER_SECONDS,
            )
            await respond(send, 503, body, (b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
            return
        await self.app(scope, receive, send)


def install_admission_gate(app: Starlette, admission: Admission | None) -> None:
    if admission is not None:  # SQLite has no pool to queue for
        app.add_middleware(AdmissionGate, admission=admission)
