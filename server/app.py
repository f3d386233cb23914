"""The Starlette application: /graphql (HTTP, GraphiQL, WebSocket), /healthz, /readyz."""

from __future__ import annotations

import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from persistence.database import Database
from resolvers.context import Context
from resolvers.reference import ReferenceCache
from schema.root import build_schema
from server.access import AccessGuard
from server.auth import Authenticator, InvalidToken
from server.masking import MaskUnexpectedErrors
from server.query_limits import query_limit_extensions
from server.request_limits import install_request_limits
from server.response_cache import CachedCatalogResponses, ResponseCache
from server.settings import Settings
from subscriptions.bus import EventBus, create_bus
from subscriptions.relay import OutboxRelay

log = logging.getLogger("orchestra")
GC_THRESHOLD = 20_000


def create_schema(settings: Settings, responses: ResponseCache) -> BaseSchema:
    # Parsing and validation with limits (first), and the cost check and budget (after
    # the access guard, which refuses first): server/query_limits.py.
    checked_documents, query_cost = query_limit_extensions(settings)
    return build_schema(
        [
            checked_documents,
            AccessGuard,  # before the response cache: it decides who may see an answer
            query_cost,
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

    async def start(self) -> None:
        await self.bus.start()
        self.relay.start()
        # Long-lived objects made at start-up (schema, caches) need not be traced by every
        # collection, and a higher first threshold means fewer pauses mid-request.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)

    async def stop(self) -> None:
        await self.relay.stop()
        await self.bus.stop()
        await self.db.dispose()


class OrchestraGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, services: Services) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=True,
        )
        self.services = services

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        finally:
            # strawberry parses multipart uploads but never closes them; a request refused
            # before any resolver ran would otherwise leave its temporary files open.
            form = getattr(request, "_form", None)
            if form is not None:
                await form.close()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self.services
        context = Context(
            db=services.db,
            reference=services.reference,
            bus=services.bus,
            token=None,
            request_id=request.headers.get("x-request-id") or uuid.uuid4().hex[:16],
            request=request,
        )
        if isinstance(request, Request):
            try:
                context.token = await services.auth.authenticate(
                    request.headers.get("authorization")
                )
            except InvalidToken as error:
                context.auth_error = str(error)
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("authorization") if isinstance(params, dict) else None
        try:
            context.token = await self.services.auth.authenticate(header)
        except InvalidToken as error:
            raise ConnectionRejectionError({"reason": str(error)}) from error
        return None


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
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    install_request_limits(app, settings)  # body size and request rate: before any GraphQL
    return app
