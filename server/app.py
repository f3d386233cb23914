"""The Starlette application: /graphql (HTTP, GraphiQL, WebSocket), /healthz, /readyz."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.schema import BaseSchema

from domain.payments.builtin_gateway import TestGateway
from domain.payments.ports import PaymentGateway
from persistence.database import Database
from resolvers.reference import ReferenceCache
from schema.root import build_schema
from server.access import AccessGuard
from server.auth import Authenticator
from server.graphql_http import OrchestraGraphQL
from server.holds import HoldSweeper
from server.limits import build_limit_rule
from server.masking import MaskUnexpectedErrors
from server.order_jobs import OrderJobs
from server.response_cache import CachedCatalogResponses, ResponseCache
from server.settings import Settings
from subscriptions.bus import EventBus, create_bus
from subscriptions.relay import OutboxRelay

log = logging.getLogger("orchestra")
CACHE_SIZE = 1024
GC_THRESHOLD = 20_000


def create_schema(settings: Settings, responses: ResponseCache) -> BaseSchema:
    limit_rule = build_limit_rule(settings.max_query_depth, settings.max_query_cost)
    return build_schema(
        [
            lambda: ParserCache(maxsize=CACHE_SIZE),
            AddValidationRules([limit_rule]),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            AccessGuard,  # before the response cache: it decides who may see an answer
            lambda: CachedCatalogResponses(responses),
            MaskUnexpectedErrors,
        ]
    )


class Services:
    """Process-wide collaborators; the lifespan starts and stops them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        self.bus: EventBus = create_bus(settings.redis_url)
        self.reference = ReferenceCache(self.db)
        self.responses = ResponseCache(settings.response_cache_ttl)
        self.reference.on_invalidate(self.responses.clear)
        self.auth = Authenticator(self.db)
        self.relay = OutboxRelay(self.db, self.bus)
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
        await self.bus.start()
        self.relay.start()
        self.holds.start()
        self.order_jobs.start()
        # Long-lived objects made at start-up (schema, caches) need not be traced by every
        # collection, and a higher first threshold means fewer pauses mid-request.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)

    async def stop(self) -> None:
        await self.order_jobs.stop()
        await self.holds.stop()
        await self.relay.stop()
        await self.bus.stop()
        await self.db.dispose()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = Services(settings)
    graphql = OrchestraGraphQL(create_schema(settings, services.responses), services)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            async with services.db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            log.exception("readiness check failed")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

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
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
