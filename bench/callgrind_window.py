"""Instructions per request under callgrind, counted only over the measured requests.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/callgrind_window.py products [--requests 100] [--bare]
    grep -h '^summary\\|^totals' /tmp/cg.out*   (the dump named "measured"; / requests)

cpu_profile.py's in-process drive (the kept BENCH_DATABASE, 8 at a time), with its
profiler replaced by callgrind client requests: instrumentation starts, counters are
zeroed, after the warm-up and stops after the last request, so start-up is neither
simulated nor counted (one run, instead of the slope between two request counts).
Work that depends on wall time, which valgrind stretches ~50x, is kept out of the window:
the outbox poll, reference-data and token-cache expiry. Needs gcc and valgrind's headers
(/usr/include/valgrind) to build the two-function helper once.
"""

from __future__ import annotations

import asyncio
import cProfile
import ctypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ORCHESTRA_BUS_POLL_INTERVAL"] = "3600"

HELPER = Path("/tmp/orchestra_callgrind_window.so")
SOURCE = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void cg_stop(void) { CALLGRIND_DUMP_STATS_AT("measured"); CALLGRIND_STOP_INSTRUMENTATION; }
"""


def helper() -> Any:
    if not HELPER.exists():
        source = HELPER.with_suffix(".c")
        source.write_text(SOURCE)
        subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", HELPER, source], check=True)
    return ctypes.CDLL(str(HELPER))


def main() -> None:
    import argparse

    from bench import cpu_profile as cp
    from bench.common import admin_token, asyncpg_dsn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=["products", "cart", "breakdown"])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--bare", action="store_true")
    args = parser.parse_args()
    lib = helper()

    class Window:
        def enable(self) -> None:
            lib.cg_start()

        def disable(self) -> None:
            lib.cg_stop()

        def dump_stats(self, path: Any) -> None:
            pass

    import resolvers.reference as reference
    import server.auth as auth

    cProfile.Profile = Window  # type: ignore[misc,assignment]
    reference.ReferenceCache.__init__.__defaults__ = (3600.0,)
    auth.CACHE_SECONDS = 3600.0
    url = asyncio.run(cp._existing())
    if url is None:
        raise SystemExit("run bench/cpu_profile.py WORKLOAD --keep once first")
    secret = admin_token(url)
    skus, locations = asyncio.run(cp._names(asyncpg_dsn(url)))
    if args.bare:
        requests = cp.bare_bodies(args.workload, skus, args.requests)
    else:
        requests = cp.bodies(args.workload, skus, locations, args.requests)
    bare = args.workload if args.bare else None
    asyncio.run(cp.drive(url, secret, requests, 8, True, bare))


if __name__ == "__main__":
    main()
