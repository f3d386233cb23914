"""The GraphQL view: GraphQL over HTTP (GET, POST, GraphiQL) and graphql-transport-ws."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from resolvers.context import Context
from server.auth import InvalidToken

if TYPE_CHECKING:
    from server.app import Services


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
