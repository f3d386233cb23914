"""The Starlette application: /graphql (HTTP, GraphiQL, WebSocket), /healthz, /readyz,
/metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.schema import BaseSchema

from domain.payments.builtin_gateway import TestGateway
from domain.payments.ports import PaymentGateway
from persistence.database import Database
from resolvers.reference import ReferenceCache
from schema.root import build_schema
from server.access import AccessGuard
from server.admission import install_admission_gate
from server.auth import Authenticator, Revocations
from server.edge import EdgeMiddleware
from server.execution import install as install_compiled_execution
from server.extension_hooks import install as install_extension_hooks
from server.graphql_http import OrchestraGraphQL
from server.health import readiness
from server.holds import HoldSweeper
from server.logging_ops import OperationLog
from server.logging_setup import quiet_library_loggers
from server.masking import MaskUnexpectedErrors
from server.metrics import Metrics, metrics_endpoint
from server.order_jobs import OrderJobs
from server.query_limits import query_limit_extensions
from server.request_limits import install_request_limits
from server.response_cache import CachedCatalogResponses, ResponseCache
from server.settings import Settings
from subscriptions.bus import OutboxBus, create_bus

log = logging.getLogger("orchestra")
GC_THRESHOLD = 20_000


def create_schema(
    settings: Settings, responses: ResponseCache, metrics: Metrics | None = None
) -> BaseSchema:
    # Parsing and validation with limits (first), and the cost check and budget (after
    # the access guard, which refuses first, and the response cache): server/query_limits.py.
    checked_documents, query_cost = query_limit_extensions(settings)
    operation_log = [] if metrics is None else [lambda: OperationLog(metrics)]
    schema = build_schema(
        [
            *operation_log,  # first: it times and logs everything below it
            checked_documents,
            AccessGuard,  # before the response cache: it decides who may see an answer
            # A cached answer executes nothing, so it costs nothing: the cost check and the
            # budget apply to what misses the cache (a storefront token serving every
            # shopper would otherwise hit its budget at ~300 listings/s, cache or not).
            lambda: CachedCatalogResponses(responses),
            query_cost,
            MaskUnexpectedErrors,
        ]
    )
    install_extension_hooks(schema)  # hooks looked up once per extension class
    if settings.compiled:  # issue 10: plans compiled per document (server/execution)
        install_compiled_execution(schema)
    return schema


class Services:
    """Process-wide collaborators; the lifespan starts and stops them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            queue_limit=settings.db_queue_limit,
            queue_timeout=settings.db_queue_timeout,
        )
        self.bus: OutboxBus = create_bus(self.db, settings.redis_url, settings.bus_poll_interval)
        self.metrics = Metrics()
        self.reference = ReferenceCache(self.db)
        self.responses = ResponseCache(settings.response_cache_ttl)
        self.reference.on_invalidate(self.responses.clear)
        self.auth = Authenticator(self.db)
        self.revocations = Revocations(self.auth, self.bus)
        self._sampler: asyncio.Task[None] | None = None
        # Payment gateways by the code clients name; the built-in offline `test` gateway
        # (tok_ok / tok_declined) until a provider adapter is configured.
        self.gateways: dict[str, PaymentGateway] = {"test": TestGateway()}
        self.holds = HoldSweeper(self.db, settings.hold_sweep_seconds)
        self.order_jobs = OrderJobs(
            self.db,
            self.bus,
            self.gateways,
            settings.pickup_sweep_seconds,
            settings.backorder_sweep_seconds,
        )

    async def start(self) -> None:
        await self.bus.start()  # never waits for Redis: degraded is better than down
        self._sampler = asyncio.create_task(self.metrics.run_sampler(self))
        self.holds.start()
        self.order_jobs.start()
        # Long-lived objects made at start-up (schema, caches) need not be traced by every
        # collection, and a higher first threshold means fewer pauses mid-request.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)

    async def stop(self) -> None:
        await self.order_jobs.stop()
        await self.holds.stop()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        await self.bus.stop()
        await self.db.dispose()
        self.metrics.worker_exited()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = Services(settings)
    quiet_library_loggers()
    graphql = OrchestraGraphQL(
        create_schema(settings, services.responses, services.metrics), services
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        status, body = await readiness(services.db, services.bus)
        return JSONResponse(body, status_code=status)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = Starlette(
        routes=[
            # Every method reaches the view, which answers 405 in JSON with `Allow`.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.shared = graphql.shared  # this worker's shared subscription groups
    app.state.direct = graphql.direct  # server/pipeline.py, or None
    # Inside the request limits: a client over its rate is told so before "busy".
    install_admission_gate(app, services.db.admission)
    install_request_limits(app, settings)  # body size and request rate: before any GraphQL
    # Outermost (added last): every answer, a limit's refusal included, carries the
    # validated request id, and a fault that escapes anything below is answered in JSON.
    app.add_middleware(EdgeMiddleware, on_response=services.metrics.http_response)
    return app
