"""Shared benchmark plumbing: a scratch PostgreSQL database and a server subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

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
    database_url: str, *, workers: int = 1, port: int = 8765, redis_url: str | None = None
) -> Iterator[str]:
    env = {**os.environ, "ORCHESTRA_DATABASE_URL": database_url}
    env.pop("ORCHESTRA_REDIS_URL", None)
    if redis_url:
        env["ORCHESTRA_REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [ORCHESTRA, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
        yield base + "/graphql"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
