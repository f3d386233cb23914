"""The contract checker introspects a running server anonymously, as a new user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the repository (a worktree sits one level deeper).
CHECKERS = [p / "shared" / "contract" / "check.py" for p in (ROOT.parent, ROOT.parent.parent)]
CHECKER = next((p for p in CHECKERS if p.exists()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ORCHESTRA_DATABASE_URL": database_url}
    env.pop("ORCHESTRA_REDIS_URL", None)
    orchestra = Path(sys.executable).with_name("orchestra")
    process = subprocess.Popen(
        [str(orchestra), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield base + "/graphql"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.skipif(CHECKER is None, reason="shared/contract/check.py is not beside the repo")
def test_the_contract_checker_introspects_anonymously(served: str) -> None:
    assert CHECKER is not None
    done = subprocess.run(
        [sys.executable, str(CHECKER), "--url", served],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "introspection refused" not in output, output
    # The contract runs ahead of the code (orders, returns ...): what matters here is
    # that the schema was read; the count of differences is the lead's to drive down.
    assert "contract fields checked" in output, output
