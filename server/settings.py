"""Settings from the environment; defaults need nothing installed (SQLite, in-process bus)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from server.limit_settings import LimitSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./orchestra.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    max_query_depth: int = 12
    max_query_cost: int = 50_000
    max_aliases: int = 30
    db_pool_size: int = 20  # connections per worker process, no overflow (issue 10)
    # Checkouts queue for the pool, clients in turn (persistence/admission.py); past this
    # many waiting, or this many seconds of waiting, one is refused 503 UNAVAILABLE.
    db_queue_limit: int = 500
    db_queue_timeout: float = 30.0
    response_cache_ttl: float = 1.0
    # Compiled execution (server/execution); ORCHESTRA_COMPILED=0 turns it off. The default
    # reads the environment too, so `ORCHESTRA_COMPILED=0 pytest` runs on graphql-core.
    compiled: bool = field(default_factory=lambda: os.environ.get("ORCHESTRA_COMPILED") != "0")
    # Compiled operations of cached documents skip strawberry's extension machinery and run
    # its steps directly (server/pipeline.py); ORCHESTRA_DIRECT=0 sends every operation
    # through Schema.execute (for comparing the two; off when `compiled` is off).
    direct: bool = field(default_factory=lambda: os.environ.get("ORCHESTRA_DIRECT") != "0")
    hold_sweep_seconds: float = 5.0  # how often expired cart holds are released; 0: never
    pickup_sweep_seconds: float = 60.0  # how often uncollected pickups are expired; 0: never
    # How often every backordered SKU is retried (the availability feed triggers releases
    # as stock arrives; the sweep catches what the feed missed); 0: no release job at all.
    backorder_sweep_seconds: float = 30.0
    debug: bool = False
    limits: LimitSettings = field(default_factory=LimitSettings)
    # --- operations (issue 7 §3-4) ---
    bus_poll_interval: float = 0.5  # event log poll while the Redis doorbell is down/absent
    header_timeout: float = 10.0  # seconds a client may take to send a request's headers
    keep_alive_timeout: int = 5  # seconds an idle keep-alive connection stays open
    log_format: str = "json"  # or "text"
    log_level: str = "INFO"
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <it>`
    # Subscribers with the same operation and the same grants share one execution per
    # event (server/shared_subscriptions.py); ORCHESTRA_SHARED_SUBSCRIPTIONS=0: each alone.
    shared_subscriptions: bool = True
    ws_send_queue: int = 1000  # messages a WebSocket may have unsent before it is closed

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("ORCHESTRA_DATABASE_URL", DEFAULT_DATABASE_URL),
            redis_url=env.get("ORCHESTRA_REDIS_URL") or None,
            max_query_depth=int(env.get("ORCHESTRA_MAX_QUERY_DEPTH", "12")),
            max_query_cost=int(env.get("ORCHESTRA_MAX_QUERY_COST", "50000")),
            max_aliases=int(env.get("ORCHESTRA_MAX_ALIASES", "30")),
            db_pool_size=int(env.get("ORCHESTRA_DB_POOL_SIZE", "20")),
            db_queue_limit=int(env.get("ORCHESTRA_DB_QUEUE_LIMIT", "500")),
            db_queue_timeout=float(env.get("ORCHESTRA_DB_QUEUE_TIMEOUT", "30")),
            response_cache_ttl=float(env.get("ORCHESTRA_RESPONSE_CACHE_TTL", "1.0")),
            compiled=env.get("ORCHESTRA_COMPILED", "1") != "0",
            direct=env.get("ORCHESTRA_DIRECT", "1") != "0",
            hold_sweep_seconds=float(env.get("ORCHESTRA_HOLD_SWEEP_SECONDS", "5")),
            pickup_sweep_seconds=float(env.get("ORCHESTRA_PICKUP_SWEEP_SECONDS", "60")),
            backorder_sweep_seconds=float(env.get("ORCHESTRA_BACKORDER_SWEEP_SECONDS", "30")),
            debug=env.get("ORCHESTRA_DEBUG", "") == "1",
            limits=LimitSettings.from_env(env),
            bus_poll_interval=float(env.get("ORCHESTRA_BUS_POLL_INTERVAL", "0.5")),
            header_timeout=float(env.get("ORCHESTRA_HEADER_TIMEOUT", "10")),
            keep_alive_timeout=int(env.get("ORCHESTRA_KEEP_ALIVE_TIMEOUT", "5")),
            log_format=env.get("ORCHESTRA_LOG_FORMAT", "json"),
            log_level=env.get("ORCHESTRA_LOG_LEVEL", "INFO").upper(),
            metrics_token=env.get("ORCHESTRA_METRICS_TOKEN") or None,
            shared_subscriptions=env.get("ORCHESTRA_SHARED_SUBSCRIPTIONS", "1") != "0",
            ws_send_queue=int(env.get("ORCHESTRA_WS_SEND_QUEUE", "1000")),
        )
