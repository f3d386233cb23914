"""Shared benchmark plumbing: a scratch PostgreSQL database and a server subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from server.limit_settings import DEFAULT_COST_BUDGETS

ROOT = Path(__file__).resolve().parent.parent
ORCHESTRA = str(Path(sys.executable).with_name("orchestra"))
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def _admin(statement: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def fresh_database(name: str) -> str:
    """Drop and create `name` next to BENCH_ADMIN_URL, migrate it, and return its URL."""
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    orchestra(url, "db", "upgrade")
    return url


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def orchestra(database_url: str, *args: str) -> str:
    env = {**os.environ, "ORCHESTRA_DATABASE_URL": database_url}
    done = subprocess.run(
        [ORCHESTRA, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"orchestra {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def admin_token(database_url: str) -> str:
    return orchestra(
        database_url, "token", "create", "--kind", "admin", "--name", "bench", "--scopes", "all"
    ).split()[-1]


@contextmanager
def serving(
    database_url: str,
    *,
    workers: int = 1,
    port: int = 8765,
    redis_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`orchestra serve` in a subprocess; `env` adds settings (e.g. ORCHESTRA_COMPILED=0).

    The per-token rate limit and cost budgets are off: these benches measure execution, and
    a budget (an admin token may spend 6,000,000 units a minute, ~1,900 listings) would
    answer most of a run with cheap 429s. bench/hostile.py measures the limits themselves."""
    env = {
        **os.environ,
        "ORCHESTRA_DATABASE_URL": database_url,
        "ORCHESTRA_RATE_LIMIT": "0",
        "ORCHESTRA_COST_BUDGETS": ",".join(f"{kind}=0" for kind in DEFAULT_COST_BUDGETS),
        **(env or {}),
    }
    env.pop("ORCHESTRA_REDIS_URL", None)
    if redis_url:
        env["ORCHESTRA_REDIS_URL"] = redis_url
    # BENCH_SERVER_LOG=path keeps the server's log (errors of a run) instead of dropping it.
    log_path = os.environ.get("BENCH_SERVER_LOG")
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [ORCHESTRA, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded shared machine starts slowly
        while True:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        SERVER_PIDS[base + "/graphql"] = process.pid
        yield base + "/graphql"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if log is not None:
            log.close()


# endpoint -> pid of the `orchestra serve` process answering it (for cpu_seconds)
SERVER_PIDS: dict[str, int] = {}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its live descendants,
    from /proc: on a machine shared with others, CPU per request is the figure that
    does not depend on how much of the CPU the server was given."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    family = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return sum(times.get(member, 0.0) for member in family)


def bare_server(app: str, dsn: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    """A bare Starlette + asyncpg endpoint (`bench.bare_atp:create_app`, ...) under uvicorn."""
    env = {**os.environ, "BENCH_DSN": dsn, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("uvicorn")),
            "--factory",
            app,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def bare_serving(
    app: str, dsn: str, workers: int, port: int, path: str, probe: bytes
) -> Iterator[tuple[str, int]]:
    """`bare_server`, answering `probe` at `path`, for the block; then stopped.
    Yields (its URL, its process id)."""
    url = f"http://127.0.0.1:{port}{path}"
    process = bare_server(app, dsn, workers, port)
    try:
        wait_for(url, probe)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def wait_for(url: str, body: bytes) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def post_json(url: str, body: dict[str, object], headers: dict[str, str] | None = None) -> object:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


def sessions(url: str) -> int:
    """PostgreSQL sessions ever opened on url's database (pg_stat_database, PostgreSQL 14+):
    the difference over a run is how many connections the server had to open."""
    name = make_url(url).database

    async def query() -> int:
        engine = create_async_engine(ADMIN_URL)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text("SELECT sessions FROM pg_stat_database WHERE datname = :name"),
                    {"name": name},
                )
                return int(found.scalar() or 0)
        finally:
            await engine.dispose()

    return asyncio.run(query())


class Started:
    """An ASGI app whose lifespan has started, driven in-process without sockets (the
    profiling scripts); `stop` runs its shutdown."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Started:
        await self._messages.put({"type": "lifespan.startup"})
        self._task = asyncio.create_task(
            self.app(
                {"type": "lifespan", "asgi": {"version": "3.0"}},
                self._messages.get,
                self._answers.put,
            )
        )
        await self._answers.get()
        return self

    async def stop(self) -> None:
        await self._messages.put({"type": "lifespan.shutdown"})
        if self._task is not None:
            await self._task


async def started(app: Any) -> Started:
    return await Started(app).start()
