"""A real server (`orchestra serve --port 0`, uvicorn) talked to by real clients: graphql-http's
GraphQL-over-HTTP audit (node), a WebSocket client, and raw HTTP."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.conftest import ROOT

AUDIT = ROOT / "tools" / "graphql-http-audit"
BANNER = re.compile(r"listening on (http://\S+?:\d+)")


@dataclass
class LiveServer:
    url: str
    log: Path

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def log_text(self) -> str:
        return self.log.read_text()


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("live") / "server.log"
    # The audit fires ~60 anonymous requests at once: above the per-IP rate limit
    # (server/limit_settings.py), which would answer some of them 429 instead of 400.
    env = {
        **os.environ,
        "ORCHESTRA_DATABASE_URL": database_url,
        "ORCHESTRA_ANONYMOUS_RATE_LIMIT": "10000",
    }
    redis = os.environ.get("ORCHESTRA_TEST_REDIS_URL")
    if redis:
        env["ORCHESTRA_REDIS_URL"] = redis
    command = [sys.executable, "-m", "server.cli", "serve", "--port", "0"]
    with log.open("w") as stderr:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        assert server.stdout is not None
        url = None
        for line in server.stdout:  # the banner is printed once the port is bound
            if found := BANNER.search(line):
                url = found.group(1)
                break
        assert url, f"the server printed no banner: {log.read_text()}"
        yield LiveServer(url, log)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def test_the_banner_says_where_graphiql_is(live: LiveServer) -> None:
    with urllib.request.urlopen(
        urllib.request.Request(live.graphql, headers={"Accept": "text/html"})
    ) as response:
        assert "graphiql" in response.read().decode().lower()


def test_graphql_http_audit_passes_with_no_warnings(live: LiveServer) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: graphql-http's audit is optional (see README)")
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        pytest.skip(
            "graphql-http is not installed: `make test` runs npm ci in tools/graphql-http-audit"
        )
    run = subprocess.run(
        [node, "audit.mjs", live.graphql],
        cwd=AUDIT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report: dict[str, Any] = json.loads(run.stdout)
    assert report["failed"] == [], json.dumps(report["failed"], indent=2)
    assert (report["warn"], report["error"], report["notice"]) == (0, 0, 0)
    assert report["ok"] == report["total"] >= 61
    # The audit sends a dozen malformed requests: none is a server fault in the log.
    assert "ERROR" not in live.log_text()
    assert "Traceback" not in live.log_text()


def http_post(url: str, body: bytes, content_type: str) -> tuple[int, str, Any]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, "Accept": "*/*"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "\xff"}',
        b"null",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"query": "{", "variables": 1}',
    ],
)
def test_malformed_bodies_over_the_wire_are_json(live: LiveServer, body: bytes) -> None:
    status, content_type, payload = http_post(live.graphql, body, "application/json")
    assert status == 400
    assert content_type == "application/json"
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["requestId"]


def ws_close(live: LiveServer, payload: dict[str, Any], **headers: str) -> tuple[int, str]:
    ws_url = live.graphql.replace("http://", "ws://")
    protocol = Subprotocol("graphql-transport-ws")
    with connect(ws_url, subprotocols=[protocol], additional_headers=headers, proxy=None) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_real_websocket_client_reads_why_it_was_refused(live: LiveServer) -> None:
    assert ws_close(live, {"Authorization": "Bearer orc_nope"}) == (
        4403,
        "Forbidden: Unknown or revoked token.",
    )
    code, reason = ws_close(live, {}, Authorization="Token abc")
    assert code == 4403
    assert "Bearer <secret>" in reason
