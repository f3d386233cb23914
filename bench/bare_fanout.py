"""The floor under the feed: plain Redis pub/sub fan-out to WebSockets, no log, no GraphQL.

    uvicorn --factory bench.bare_fanout:create_app --workers 2   (BENCH_REDIS_URL=redis://...)

POST /emit with a JSON body publishes it; every worker's listener sends it to each of its
sockets at /ws. This is what the feed did before the event log (and what lost events when
Redis restarted), so the ratio to it is the price of durability plus GraphQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

CHANNEL = "bench:bare-fanout"


def create_app() -> Starlette:
    redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])
    sockets: set[WebSocket] = set()

    async def listen() -> None:
        async with redis.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                text = message["data"].decode()
                for ws in list(sockets):
                    with contextlib.suppress(Exception):
                        await ws.send_text(text)

    async def emit(request: Request) -> Response:
        await redis.publish(CHANNEL, await request.body())
        return Response(status_code=204)

    async def subscriber(ws: WebSocket) -> None:
        await ws.accept()
        sockets.add(ws)
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(ws)

    async def count(_: Request) -> Response:
        return Response(str(len(sockets)))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(listen())
        yield
        task.cancel()
        await redis.aclose()

    return Starlette(
        routes=[
            Route("/emit", emit, methods=["POST"]),
            Route("/count", count),
            WebSocketRoute("/ws", subscriber),
        ],
        lifespan=lifespan,
    )
