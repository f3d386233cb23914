"""Real processes for fault tests: a private redis-server to kill, `orchestra serve` workers.

Never the shared Redis: every test that stops Redis starts its own on a free port, with
the project's production flags (no persistence), and kills only that one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORCHESTRA = str(Path(sys.executable).with_name("orchestra"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up in {timeout} s")
        time.sleep(0.05)


class PrivateRedis:
    """A redis-server on its own port, as production runs it (`--save "" --appendonly no`)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self._answers, "redis-server", timeout=10)

    def kill(self) -> None:
        """SIGKILL: no shutdown courtesy, as a crash or an OOM kill would do it."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


class Server:
    """`orchestra serve` as a subprocess; `base` is its http://127.0.0.1:port."""

    def __init__(self, database_url: str, redis_url: str | None, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/graphql"
        environment = {**os.environ, "ORCHESTRA_DATABASE_URL": database_url, **env}
        environment.pop("ORCHESTRA_REDIS_URL", None)
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if redis_url:
            environment["ORCHESTRA_REDIS_URL"] = redis_url
        # A file, not a pipe: a pipe nobody reads would fill up and stall the server.
        self.log = tempfile.NamedTemporaryFile(prefix="orchestra-serve-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [ORCHESTRA, "serve", "--port", str(self.port)],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait_until_serving(self) -> None:
        def serving() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.stderr()[-4000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        _wait(serving, "orchestra serve", timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def stderr(self) -> str:
        """The server's log so far (JSON lines), for assertions and failure messages."""
        return Path(self.log.name).read_text(errors="replace")


@contextlib.contextmanager
def serving(
    database_url: str, redis_url: str | None, count: int = 1, **env: str
) -> Iterator[list[Server]]:
    servers = [Server(database_url, redis_url, **env) for _ in range(count)]
    try:
        for server in servers:
            server.wait_until_serving()
        yield servers
    finally:
        for server in servers:
            server.stop()
