"""Readiness: can this worker serve, and is anything it relies on degraded?

- 200 `{"status": "ready", ...}`: the database answers and the Redis doorbell (when
  configured) is connected.
- 200 `{"status": "degraded", ...}`: the database answers but Redis is down. Everything
  is served; subscription events arrive up to ORCHESTRA_BUS_POLL_INTERVAL late. Still
  200, so a load balancer keeps the worker: every worker is equally affected, and
  taking them all out of rotation would turn a slower feed into an outage.
- 503 `{"status": "unavailable", ...}`: the database does not answer within 2 s.

Each check is named under "checks" ("ok", "down" or "not_configured").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text

from persistence.database import Database
from subscriptions.bus import OutboxBus

log = logging.getLogger("orchestra.health")
DB_TIMEOUT = 2.0


async def _database_ok(db: Database) -> bool:
    try:
        async with asyncio.timeout(DB_TIMEOUT), db.read() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("readiness: database unreachable: %s", error.__class__.__name__)
        return False
    return True


async def readiness(db: Database, bus: OutboxBus) -> tuple[int, dict[str, Any]]:
    database = await _database_ok(db)
    doorbell = bus.doorbell
    redis = "not_configured" if not doorbell.configured else "ok" if doorbell.connected else "down"
    checks = {"database": "ok" if database else "down", "redis": redis}
    body: dict[str, Any] = {"checks": checks, "busReconnects": doorbell.reconnects}
    if not database:
        return 503, {"status": "unavailable", **body}
    if redis == "down":
        return 200, {"status": "degraded", **body}
    return 200, {"status": "ready", **body}
