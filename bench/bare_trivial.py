"""The trivial endpoint the issues measure machines by: Starlette answering a constant JSON
body, no database (issue 10: "a trivial Starlette JSON endpoint ran 14,660 req/s on one
[machine] and 6,200 on another").

    uvicorn --factory bench.bare_trivial:create_app
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app() -> Starlette:
    async def ok(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/", ok, methods=["GET", "POST"])])
