"""`orchestra serve`: uvicorn, and a banner that says where to go once the port is bound."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Iterator

import uvicorn
from sqlalchemy import make_url
from uvicorn.supervisors import Multiprocess

from server.logging_setup import logging_config
from server.protocol import HeaderTimeoutProtocol
from server.settings import Settings

ALL_INTERFACES = ("0.0.0.0", "::", "")


def banner(host: str, port: int, settings: Settings, workers: int = 1) -> str:
    shown = "127.0.0.1" if host in ALL_INTERFACES else f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    where = " (all interfaces)" if host in ALL_INTERFACES else ""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    bus = "Redis doorbell" if settings.redis_url else "no Redis"
    if not settings.redis_url and workers > 1:
        bus += (
            f" (workers see each other's events within {settings.bus_poll_interval} s; "
            "set ORCHESTRA_REDIS_URL for milliseconds)"
        )
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
        # JSON lines (or text) in every worker process: uvicorn applies it in each.
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=False,
        # A header-read timeout, which uvicorn lacks (server/protocol.py).
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=settings.keep_alive_timeout,
        # Feed messages are ~100 bytes: compressing each one for each subscriber cost
        # more CPU in fan-out than it saves on the wire.
        ws_per_message_deflate=False,
    )
    if workers <= 1:
        _Server(config, settings).run()
        return 0
    with _metrics_dir():
        # As uvicorn.run does for several workers: the parent binds, the workers share it.
        sock = config.bind_socket()
        print(banner(host, sock.getsockname()[1], settings, workers), flush=True)
        Multiprocess(config, sockets=[sock]).run()
    return 0


@contextlib.contextmanager
def _metrics_dir() -> Iterator[None]:
    """With several workers, Prometheus values live in files every worker can read, so
    any worker's /metrics answers for all (unless PROMETHEUS_MULTIPROC_DIR is set)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="orchestra-metrics-") as path:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
