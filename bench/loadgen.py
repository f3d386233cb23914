"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, one request
in flight on each, latency measured per request. Plain asyncio sockets keep the
client's own cost low, since it shares the machine's two cores with the server."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def summary(self, label: str) -> str:
        mean = statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")
        return (
            f"{label}: {self.rps:,.0f} req/s over {self.seconds:.1f}s "
            f"({self.requests:,} requests, {self.errors} errors); latency ms "
            f"p50 {self.percentile(50):.1f}  p90 {self.percentile(90):.1f}  "
            f"p99 {self.percentile(99):.1f}  mean {mean:.1f}"
        )


def post_request(url: str, body: dict[str, Any], headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in headers.items()),
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        return status, await reader.readexactly(length)
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, bytes(body)
            body += chunk[:-2]
    return status, b""


async def run_load(
    url: str,
    request: bytes | list[bytes],
    *,
    concurrency: int = 32,
    duration: float = 15.0,
    check: bytes | None = None,
) -> LoadResult:
    """Send `request` (or cycle through several) over `concurrency` connections."""
    requests = request if isinstance(request, list) else [request]
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        turn = 0
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(requests[turn % len(requests)])
                turn += 1
                status, body = await _read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200 or b'"errors"' in body or (check and check not in body):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(len(latencies), errors, time.perf_counter() - started, latencies)


@dataclass
class Figures:
    """Requests, time, latencies and the server's CPU over every round of one mode."""

    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, result: LoadResult, cpu: float) -> None:
        self.requests += result.requests
        self.seconds += result.seconds
        self.cpu += cpu
        self.latencies += result.latencies_ms
        self.errors += result.errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000 if self.requests else float("nan")

    def summary(self, label: str) -> str:
        result = LoadResult(self.requests, self.errors, self.seconds, self.latencies)
        return f"{result.summary(label)}; server CPU {self.cpu_ms:.2f} ms/request"
