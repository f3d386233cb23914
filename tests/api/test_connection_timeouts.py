"""A connection that sends partial headers (or nothing) is closed; a normal request is not
affected; idle keep-alive connections are closed. Real uvicorn, real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.protocol import HeaderTimeoutProtocol
from tests.servers import free_port

HEADER_TIMEOUT = 0.5
KEEP_ALIVE = 1


class ShortHeaderTimeout(HeaderTimeoutProtocol):
    header_timeout = HEADER_TIMEOUT


async def hello(_: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    chosen = free_port()
    config = uvicorn.Config(
        Starlette(routes=[Route("/", hello)]),
        host="127.0.0.1",
        port=chosen,
        http=ShortHeaderTimeout,
        timeout_keep_alive=KEEP_ALIVE,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield chosen
    server.should_exit = True
    thread.join(timeout=10)


def closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closed the connection (recv returns b"")."""
    sock.settimeout(limit)
    started = time.monotonic()
    while sock.recv(4096):
        pass
    return time.monotonic() - started


def test_partial_headers_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        waited = closed_after(sock, 5)
    assert HEADER_TIMEOUT * 0.8 <= waited < HEADER_TIMEOUT + 1.5


def test_a_connection_that_never_sends_is_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        waited = closed_after(sock, 5)
    assert waited < HEADER_TIMEOUT + 1.5


def test_keep_alive_serves_several_requests_then_idles_out(port: int) -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        for _ in range(3):
            sock.sendall(request)
            answer = b""
            while not answer.endswith(b"hello"):
                answer += sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200")
            time.sleep(HEADER_TIMEOUT * 1.5)  # idle between requests is keep-alive's business
        waited = closed_after(sock, 5)
    assert waited < KEEP_ALIVE + 1.5
