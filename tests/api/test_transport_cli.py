"""The first five minutes on the command line: the serve banner, and pipes that close early."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

from server.serve import banner
from server.settings import Settings
from tests.conftest import ROOT

F_SETPIPE_SZ = 1031  # Linux: the smallest pipe (one page) makes the writer block at once


def test_a_closed_output_pipe_ends_the_cli_quietly() -> None:
    """`orchestra schema print | head -1`: no BrokenPipeError traceback."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
    cli = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "schema", "print"],
        cwd=ROOT,
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    assert os.read(read_end, 64)  # the schema (~11 KB) does not fit in the pipe
    os.close(read_end)  # what `head` does once it has its line
    _, stderr = cli.communicate(timeout=60)
    assert stderr == b""
    assert cli.returncode == 1


def test_the_banner_says_where_graphql_graphiql_and_websocket_are() -> None:
    settings = Settings(database_url="postgresql+asyncpg://app:s3cret@db:5432/orchestra")
    text = banner("0.0.0.0", 9001, settings, workers=2)
    assert "listening on http://127.0.0.1:9001 (all interfaces) with 2 worker(s)" in text
    assert "GraphiQL   open http://127.0.0.1:9001/graphql in a browser" in text
    assert "unpkg.com" in text
    assert "ws://127.0.0.1:9001/graphql  (graphql-transport-ws)" in text
    assert "s3cret" not in text
    assert "set ORCHESTRA_REDIS_URL" in text
