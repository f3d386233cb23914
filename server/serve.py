"""`orchestra serve`: uvicorn, and a banner that says where to go once the port is bound."""

from __future__ import annotations

import socket

import uvicorn
from sqlalchemy import make_url
from uvicorn.supervisors import Multiprocess

from server.settings import Settings

ALL_INTERFACES = ("0.0.0.0", "::", "")


def banner(host: str, port: int, settings: Settings, workers: int = 1) -> str:
    shown = "127.0.0.1" if host in ALL_INTERFACES else f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    where = " (all interfaces)" if host in ALL_INTERFACES else ""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    bus = "Redis" if settings.redis_url else "in-process"
    if not settings.redis_url and workers > 1:
        bus += " (set ORCHESTRA_REDIS_URL so subscribers see every worker's events)"
    return "\n".join(
        [
            f"Orchestra is listening on {base}{where} with {workers} worker(s).",
            f"  GraphQL    {base}/graphql  (POST, or GET for queries)",
            f"  GraphiQL   open {base}/graphql in a browser (its scripts load from unpkg.com)",
            f"  WebSocket  ws://{base.removeprefix('http://')}/graphql  (graphql-transport-ws)",
            f"  Health     {base}/healthz  {base}/readyz",
            f"  Database   {database}; event bus {bus}",
            "Press Ctrl+C to stop.",
        ]
    )


class _Server(uvicorn.Server):
    """Prints the banner after start-up, so the port shown is bound (port 0 included)."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers and self.servers[0].sockets:
            port = self.servers[0].sockets[0].getsockname()[1]
            print(banner(self.config.host, port, self.settings), flush=True)


def serve(host: str, port: int, workers: int, settings: Settings) -> int:
    config = uvicorn.Config(
        "server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
    if workers <= 1:
        _Server(config, settings).run()
        return 0
    # As uvicorn.run does for several workers: the parent binds, the workers share it.
    sock = config.bind_socket()
    print(banner(host, sock.getsockname()[1], settings, workers), flush=True)
    Multiprocess(config, sockets=[sock]).run()
    return 0
