"""Issue 7's hostile set, replayed against a running server.

    .venv/bin/python bench/hostile.py [--keep] [--redis URL]

Creates a scratch PostgreSQL database (orchestra_bench_hostile), loads the demo data,
starts `orchestra serve` (one worker) on a free port and sends each hostile request in
turn. For each it prints the HTTP status, the error code, the time to the answer (the
slowest of its requests) and the worker's RSS before and after. Goals: every refusal
under 100 ms; RSS growth under 50 MB over the whole set. `/healthz` is timed in the
same run as the bare endpoint to compare with (the machine is shared).

The server runs with the default limits except ORCHESTRA_ANONYMOUS_RATE_LIMIT=50 (so the
anonymous cases are not cut short by the rate limit before the case that shows it) and
an admin cost budget of 1,000,000 units a minute (so a token can spend it in seconds).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphql import get_introspection_query

from bench.common import ORCHESTRA, ROOT, admin_token, drop_database, fresh_database, orchestra

DATABASE = "orchestra_bench_hostile"
MIB = 1024 * 1024


@dataclass
class Answer:
    status: int
    code: str
    ms: float


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        """POST /graphql; the time is until the whole answer is read."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        try:
            conn.putrequest("POST", "/graphql")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            try:
                for start in range(0, len(body), 256 * 1024):
                    conn.send(body[start : start + 256 * 1024])
            except OSError:
                pass  # refused before the body was read: the answer is waiting
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        ms = (time.perf_counter() - started) * 1000
        return Answer(response.status, code_of(raw), ms)

    def graphql(
        self, query: str, variables: Any = None, token: str | None = None, **extra: Any
    ) -> Answer:
        payload = {"query": query, "variables": variables or {}, **extra}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.send(json.dumps(payload).encode(), headers)

    def healthz(self) -> float:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        started = time.perf_counter()
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        conn.close()
        return (time.perf_counter() - started) * 1000


def code_of(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return "(not JSON)"
    if not isinstance(body, dict):
        return "(not an object)"
    errors = body.get("errors") or []
    if errors:
        codes = {str((e.get("extensions") or {}).get("code", "(no code)")) for e in errors}
        return ",".join(sorted(codes))
    data = body.get("data") or {}
    for value in data.values() if isinstance(data, dict) else ():
        if isinstance(value, dict) and value.get("userErrors"):
            return "userErrors:" + ",".join(sorted({e["code"] for e in value["userErrors"]}))
    return "-"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(url: str, port: int, redis_url: str | None) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ORCHESTRA_DATABASE_URL": url,
        "ORCHESTRA_ANONYMOUS_RATE_LIMIT": "50",
        "ORCHESTRA_COST_BUDGETS": "admin=1000000",
    }
    env.pop("ORCHESTRA_REDIS_URL", None)
    if redis_url:
        env["ORCHESTRA_REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [ORCHESTRA, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                Client(port).healthz()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)


def fragment_bomb(levels: int, salt: str = "") -> str:
    fragments = [
        f"fragment F{salt}{i} on Query {{ ...F{salt}{i + 1} ...F{salt}{i + 1} }}"
        for i in range(levels - 1)
    ]
    fragments.append(f"fragment F{salt}{levels - 1} on Query {{ viewer {{ name }} }}")
    return "{ ...F" + salt + "0 }\n" + "\n".join(fragments)


def nested_json(depth: int, query: str) -> bytes:
    head = json.dumps({"query": query})[:-1].encode()
    return head + b', "variables": {"v": ' + b"[" * depth + b"]" * depth + b"}}"


PRODUCT = """mutation($i: ProductCreateInput!) { productCreate(input: $i) {
  product { id } userErrors { field code message } } }"""
SET = """mutation($u: [InventorySetInput!]!) { inventorySet(updates: $u) {
  applied userErrors { field code } } }"""


def cases(c: Client, token: str, spare: str) -> list[tuple[str, Callable[[], list[Answer]]]]:
    def once(
        query: str, variables: Any = None, auth: str | None = token
    ) -> Callable[[], list[Answer]]:
        return lambda: [c.graphql(query, variables, auth)]

    def product(**fields: Any) -> Callable[[], list[Answer]]:
        data = {
            "handle": f"h-{time.time_ns()}",
            "title": "t",
            "variants": [{"sku": f"S{time.time_ns()}", "title": "v"}],
            **fields,
        }
        return once(PRODUCT, {"i": data})

    listings = (
        "{"
        + " ".join(
            f"l{i}: products(first: 100) {{ edges {{ node {{ variants {{ sku }} }} }} }}"
            for i in range(20)
        )
        + "}"
    )
    totals = " ".join(f"c{i}: inventoryPositions(first: 1) {{ totalCount }}" for i in range(2000))
    allowed_totals = " ".join(
        f"c{i}: inventoryPositions(first: 1) {{ totalCount }}" for i in range(30)
    )
    chain = "{ __schema { types { " + "ofType { " * 100 + "name" + " }" * 100 + " } } }"
    flood = "{ __schema { " + " ".join(f"t{i}: types {{ name }}" for i in range(200)) + " } }"
    big = "{ viewer { name } }" + " " * int(1.25 * MIB)
    huge = "{ viewer { name } }" + " " * (10 * MIB)
    deep = "{ products { edges { node { variants { product { variants { product { variants { product { variants { product { variants { sku } } } } } } } } } } } } }"
    costly = "{ products(first: 100) { edges { node { variants { product { variants { product { variants { sku title } } } } } } } } }"
    introspection = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    return [
        ("introspection, anonymous (allowed)", once(introspection, auth=None)),
        ("fragment bomb, 21 levels, anonymous", once(fragment_bomb(21), auth=None)),
        ("fragment bomb, 22 levels, anonymous", once(fragment_bomb(22), auth=None)),
        ("1.25 MB document", lambda: [c.graphql(big, token=token)]),
        ("10 MB document", lambda: [c.graphql(huge, token=token)]),
        ("2,000 totalCount aliases", once("{" + totals + "}")),
        ("30 totalCount aliases (allowed)", once("{" + allowed_totals + "}")),
        ("100-level ofType chain, anonymous", once(chain, auth=None)),
        ("200 aliases in __schema, anonymous", once(flood, auth=None)),
        ("1,500 copies of one field", once("{ viewer { " + "name " * 1500 + "} }")),
        ("10,001 tokens", once("{ viewer { " + "name " * 10_001 + "} }")),
        ("depth 14", once(deep)),
        ("cost 2.9M (first: 100, nested)", once(costly)),
        (
            "500 distinct refused documents",
            lambda: [c.graphql(fragment_bomb(20, f"x{i}_"), token=token) for i in range(500)],
        ),
        (
            "2,000 distinct valid documents",
            lambda: [
                c.graphql(f"{{ viewer {{ name }} a{i}: apiLimits }}", token=token)
                for i in range(2000)
            ],
        ),
        (
            "500 distinct variable values",
            lambda: [
                c.graphql(
                    "query($s: String!) { variant(sku: $s) { sku title } }",
                    {"s": f"NOPE-{i}"},
                    token,
                )
                for i in range(500)
            ],
        ),
        (
            "variables nested 500 deep",
            lambda: [
                c.send(
                    nested_json(
                        500, "query($v: [String!]) { products(filter: {skus: $v}) { totalCount } }"
                    ),
                    {"Authorization": f"Bearer {token}"},
                )
            ],
        ),
        (
            "variables nested 100,000 deep",
            lambda: [
                c.send(
                    nested_json(100_000, "{ viewer { name } }"),
                    {"Authorization": f"Bearer {token}"},
                )
            ],
        ),
        ("body: not UTF-8", lambda: [c.send(b'{"query": "{ viewer { name } }", "x": "\xff\xfe"}')]),
        ("body: JSON null", lambda: [c.send(b"null")]),
        ("body: JSON number", lambda: [c.send(b"42")]),
        ("NUL in a title", product(title="a\x00b")),
        ("lone surrogate in a title", product(title="a\ud800b")),
        ("handle of 300 characters", product(handle="a" * 300)),
        (
            "price NaN",
            product(
                variants=[
                    {
                        "sku": f"N{time.time_ns()}",
                        "title": "v",
                        "prices": [{"channel": "web", "amount": "NaN"}],
                    }
                ]
            ),
        ),
        (
            "unit cost 1e30",
            product(variants=[{"sku": f"C{time.time_ns()}", "title": "v", "unitCost": "1e30"}]),
        ),
        (
            "asOf 0001-01-01T00:00:00+14:00",
            once(
                SET,
                {
                    "u": [
                        {
                            "sku": "x",
                            "location": "y",
                            "onHand": 1,
                            "asOf": "0001-01-01T00:00:00+14:00",
                        }
                    ]
                },
            ),
        ),
        (
            "onHand 2,147,483,647",
            once(
                SET,
                {
                    "u": [
                        {
                            "sku": "x",
                            "location": "y",
                            "onHand": 2**31 - 1,
                            "asOf": "2024-01-01T00:00:00Z",
                        }
                    ]
                },
            ),
        ),
        ("search '%'", once('{ products(filter: {search: "%"}, first: 1) { totalCount } }')),
        (
            "rate limit: 400 anonymous, 8 at a time",
            lambda: burst(lambda: c.graphql("{ viewer { name } }", token=None), 400),
        ),
        (
            "cost budget: 40 x 42,020 units",
            lambda: [c.graphql(listings, token=spare) for _ in range(40)],
        ),
    ]


CALIBRATION = [
    ("{ viewer { name } }", "no SQL"),
    ("{ inventoryPositions(first: 1) { edges { cursor } } }", "one statement"),
    ("{ inventoryPositions(first: 1) { totalCount edges { cursor } } }", "two statements"),
    ("{ products(first: 100) { edges { node { title variants { sku title } } } } }", "listing"),
]


def calibrate(c: Client, token: str) -> None:
    """Median time and declared cost of a few queries: what a unit and a statement cost."""
    for query, label in CALIBRATION:
        times, cost = [], 0
        for _ in range(15):
            conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
            body = json.dumps({"query": query}).encode()
            started = time.perf_counter()
            conn.request(
                "POST",
                "/graphql",
                body,
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            raw = conn.getresponse().read()
            times.append((time.perf_counter() - started) * 1000)
            conn.close()
            cost = json.loads(raw)["extensions"]["cost"]["requestedQueryCost"]
        print(f"calibration: {label:15} cost {cost:6} units, p50 {sorted(times)[7]:7.2f} ms")


def burst(send: Callable[[], Answer], count: int) -> list[Answer]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: send(), range(count)))


def summarize(answers: list[Answer]) -> tuple[str, str, float, float]:
    statuses = sorted({a.status for a in answers})
    codes = sorted({a.code for a in answers})
    status = "/".join(map(str, statuses))
    code = ",".join(codes)
    if len(answers) > 1:
        counts = {s: sum(a.status == s for a in answers) for s in statuses}
        status = " ".join(f"{s}x{n}" for s, n in counts.items())
    refused = [a.ms for a in answers if a.status != 200 or a.code not in ("-",)]
    slowest = max(a.ms for a in answers)
    slowest_refusal = max(refused) if refused else float("nan")
    return status, code, slowest, slowest_refusal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--redis", help="ORCHESTRA_REDIS_URL for the server (shared buckets)")
    args = parser.parse_args()
    url = fresh_database(DATABASE)
    try:
        orchestra(url, "demo")
        token = admin_token(url)
        spare = admin_token(url)
        port = free_port()
        with serving(url, port, args.redis) as process:
            client = Client(port)
            for _ in range(20):
                client.healthz()
            bare = sorted(client.healthz() for _ in range(50))[25]
            start = rss_mb(process.pid)
            print(
                f"bare /healthz p50 {bare:.2f} ms; worker RSS at start {start:.0f} MB (machine shared)"
            )
            calibrate(client, token)
            header = f"{'case':40} {'status':>16} {'code':>34} {'slowest':>9} {'refusal':>9} {'RSS MB':>13}"
            print(header)
            print("-" * len(header))
            for name, run in cases(client, token, spare):
                before = rss_mb(process.pid)
                status, code, slowest, refusal = summarize(run())
                after = rss_mb(process.pid)
                print(
                    f"{name:40} {status:>16} {code[:34]:>34} {slowest:8.1f}ms {refusal:8.1f}ms "
                    f"{before:5.0f} -> {after:5.0f}"
                )
            end = rss_mb(process.pid)
            print(f"worker RSS {start:.0f} -> {end:.0f} MB over the set ({end - start:+.0f} MB)")
    finally:
        if not args.keep:
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
