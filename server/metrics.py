"""Prometheus metrics at /metrics.

Each app owns a registry (tests run several apps in one process). With several workers
(`orchestra serve --workers N`) the CLI sets PROMETHEUS_MULTIPROC_DIR, prometheus_client
keeps every worker's values in shared files, and any worker's /metrics answers for all:
counters and histograms are summed, gauges combined as each one's `multiprocess_mode`
says. Components keep plain counts (the bus, the tail); a sampler copies them here every
few seconds and on each scrape, so the event path never touches Prometheus objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

from persistence.outbox_log import last_sequenced, unsequenced_backlog

if TYPE_CHECKING:
    from server.app import Services

log = logging.getLogger("orchestra.metrics")
SAMPLE_EVERY_SECONDS = 5.0
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.operations = Counter(
            "orchestra_graphql_operations",
            "GraphQL operations by name, type and outcome (ok, client_error, server_error).",
            ["operation", "type", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "orchestra_graphql_operation_duration_seconds",
            "Time to answer a query or mutation (subscriptions are counted, not timed).",
            ["operation", "type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.http_responses = Counter(
            "orchestra_http_responses",
            "HTTP responses by route and status class.",
            ["route", "status"],
            registry=r,
        )
        self.pool_in_use = Gauge(
            "orchestra_db_pool_connections_in_use",
            "Database connections checked out of the pool.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.pool_size = Gauge(
            "orchestra_db_pool_size",
            "Configured pool size (connections kept open).",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.outbox_unsequenced = Gauge(
            "orchestra_outbox_unrelayed_rows",
            "Committed outbox rows not yet sequenced by a relay.",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.outbox_age = Gauge(
            "orchestra_outbox_unrelayed_oldest_age_seconds",
            "Age of the oldest committed outbox row not yet sequenced (0 when none).",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.tail_lag = Gauge(
            "orchestra_event_log_tail_lag_events",
            "Sequenced events this worker has not yet delivered to its subscribers.",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.subscribers = Gauge(
            "orchestra_subscribers",
            "Open subscription streams.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.bus_connected = Gauge(
            "orchestra_bus_redis_connected",
            "1 when the Redis doorbell is connected (min over workers), 0 when down.",
            multiprocess_mode="livemin",
            registry=r,
        )
        self.bus_reconnects = Counter(
            "orchestra_bus_reconnects", "Redis doorbell reconnections.", registry=r
        )
        self.events_delivered = Counter(
            "orchestra_events_delivered",
            "Events read from the log and fanned out to local subscribers.",
            registry=r,
        )
        self.slow_subscribers = Counter(
            "orchestra_subscribers_cut_off",
            "Subscriptions (or WebSocket connections) ended because they fell too far behind.",
            registry=r,
        )
        self.relay_failures = Counter(
            "orchestra_outbox_relay_failures",
            "Relay or tail passes that failed (database unreachable, ...).",
            registry=r,
        )
        self._names: set[str] = set()
        self._seen: dict[str, int] = {}
        # Labelled children by label values: `labels()` validates and locks on every call,
        # three times per request; the children never change once made (none is removed).
        self._children: dict[tuple[object, ...], Any] = {}

    def operation_label(self, name: str | None) -> str:
        """Client-chosen names, bounded: a hostile client cannot grow the series forever."""
        if not name:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "invalid"
        if name in self._names:
            return name
        if len(self._names) >= MAX_OPERATION_NAMES:
            return "other"
        self._names.add(name)
        return name

    def observe_operation(
        self, name: str, op_type: str, outcome: str, seconds: float | None
    ) -> None:
        self._child(self.operations, name, op_type, outcome).inc()
        if seconds is not None:
            self._child(self.latency, name, op_type).observe(seconds)

    def http_response(self, route: str, status: int) -> None:
        self._child(self.http_responses, route, f"{status // 100}xx").inc()

    def _child(self, metric: Any, *values: str) -> Any:
        key = (metric, *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def _count(self, counter: Counter, key: str, total: int) -> None:
        delta = total - self._seen.get(key, 0)
        if delta > 0:
            counter.inc(delta)
        self._seen[key] = total

    async def sample(self, services: Services) -> None:
        """Copy the components' counts into the metrics; the database part may fail."""
        bus = services.bus
        pool = services.db.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        self.pool_in_use.set(checked_out() if callable(checked_out) else 0)
        size = getattr(pool, "size", None)
        self.pool_size.set(size() if callable(size) else 0)
        self.subscribers.set(bus.subscriber_count)
        self.bus_connected.set(1 if bus.doorbell.connected or not bus.doorbell.configured else 0)
        self._count(self.bus_reconnects, "reconnects", bus.doorbell.reconnects)
        self._count(self.events_delivered, "delivered", bus.tail.delivered)
        # Streams cut off by the bus, and connections closed for leaving too much unsent.
        from server.ws_transport import QueuedWebSocket

        self._count(
            self.slow_subscribers, "cut_off", bus.fanout.cut_off + QueuedWebSocket.slow_closes
        )
        self._count(
            self.relay_failures, "failures", bus.relay.failures.count + bus.tail.failures.count
        )
        async with services.db.read() as conn:
            backlog = await unsequenced_backlog(conn)
            last = await last_sequenced(conn)
        self.outbox_unsequenced.set(backlog.rows)
        age = 0.0
        if backlog.oldest is not None:
            oldest = backlog.oldest
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        self.outbox_age.set(age)
        position = bus.tail.position
        self.tail_lag.set(max(0, last - position) if position is not None else 0)

    async def run_sampler(self, services: Services) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.sample(services)
            await asyncio.sleep(SAMPLE_EVERY_SECONDS)

    def exposition(self) -> bytes:
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=path)  # type: ignore[no-untyped-call]
        return generate_latest(merged)

    def worker_exited(self) -> None:
        if multiprocess_dir() is not None:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    expected = services.settings.metrics_token
    if expected is not None:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    try:
        await asyncio.wait_for(services.metrics.sample(services), timeout=2)
    except Exception as error:  # the gauges keep their last values; the scrape still answers
        log.info("metrics sample incomplete: %s", error.__class__.__name__)
    return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
