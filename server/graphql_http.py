"""The GraphQL view: GraphQL over HTTP (GET, POST, GraphiQL) and graphql-transport-ws.

HTTP is served here rather than by strawberry's view so every answer follows the
GraphQL-over-HTTP spec (server/http_protocol.py): the media type the client accepts, the
spec's status codes, and a JSON error with a code and request id for every malformed
request instead of strawberry's plain-text 400/500. Uploads stay strawberry's; WebSocket is
strawberry's handler with a send queue per socket and shared subscriptions
(server/ws_transport.py, server/shared_subscriptions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from resolvers.context import Context
from server import http_protocol as spec
from server.auth import InvalidToken
from server.edge import is_unavailable, new_request_id
from server.http_json import OrjsonResponses
from server.shared_subscriptions import SharedSubscriptions
from server.ws_transport import QueuedWebSocket, SharedTransportWS

if TYPE_CHECKING:
    from server.app import Services

log = logging.getLogger("orchestra.http")
GET_ONLY = frozenset({OperationType.QUERY})
POST_ONLY = frozenset({OperationType.QUERY, OperationType.MUTATION})


def request_id(connection: HTTPConnection) -> str:
    """One id per request, shared by the context, logs and error bodies."""
    found: str | None = getattr(connection.state, "request_id", None)
    if found is None:
        found = connection.headers.get("x-request-id") or new_request_id()
        connection.state.request_id = found
    return found


class _OnlyServerFaults(logging.Filter):
    """strawberry logs every error of every result at ERROR, a syntax error included.
    Errors of the client's making are logged once at INFO by the view, with the request
    id; server faults still pass (MaskUnexpectedErrors logs them with the request id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        original = error.original_error
        return original is not None and not isinstance(original, GraphQLError)


_ONLY_SERVER_FAULTS = _OnlyServerFaults()


class OrchestraGraphQL(OrjsonResponses, GraphQL[Context, None]):  # issue 10: orjson encodes
    websocket_adapter_class = QueuedWebSocket
    graphql_transport_ws_handler_class = SharedTransportWS

    def __init__(self, schema: BaseSchema, services: Services) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=True,
        )
        self.services = services
        settings = services.settings
        # Imported here: the pipeline's steps import this module (request ids).
        from server.pipeline import direct_operations

        self.direct = direct_operations(schema) if settings.direct else None  # type: ignore[arg-type]
        # Per app, not per process: tests run apps with different settings side by side.
        self.websocket_adapter_class = type(  # type: ignore[assignment]
            "AppQueuedWebSocket", (QueuedWebSocket,), {"limit": settings.ws_send_queue}
        )
        # Imported here: query_limits -> query_cost -> request_limits imports this module.
        from server.query_limits import document_cache_of

        self.shared = SharedSubscriptions(
            schema, services.bus, settings.shared_subscriptions, document_cache_of(schema)
        )
        logging.getLogger("strawberry.execution").addFilter(_ONLY_SERVER_FAULTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.serve_http(request)
        except spec.TransportError as error:
            response = self.error_response(request, error)
        except HTTPException as error:  # from strawberry's multipart parsing
            response = self.error_response(request, spec.bad_request(error.reason))
        except StarletteHTTPException as error:  # from Starlette's multipart parser
            response = self.error_response(request, spec.bad_request(error.detail))
        finally:
            # strawberry parses multipart uploads but never closes them; a request refused
            # before any resolver ran would otherwise leave its temporary files open.
            form = getattr(request, "_form", None)
            if form is not None:
                await form.close()
        await response(scope, receive, send)

    async def serve_http(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            raise spec.TransportError(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not supported: use POST (or GET for queries).",
                headers={"Allow": "GET, POST"},
            )
        # Only a GET can ask for GraphiQL: a POST skips building strawberry's adapter.
        if request.method == "GET" and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            return await self.render_graphql_ide(request)
        media_type = spec.negotiate(request.headers.get("accept"))
        if media_type is None:
            raise spec.TransportError(
                406,
                "NOT_ACCEPTABLE",
                f"Accept names no type this endpoint serves: accept "
                f"{spec.GRAPHQL_RESPONSE_JSON} or {spec.JSON}.",
            )
        params = await self.read_parameters(request)
        context = await self.get_context(request, response=None)
        result = await self.execute(request, params, context)
        return self.graphql_response(request, result, media_type)

    async def read_parameters(self, request: Request) -> GraphQLRequestData:
        if request.method == "GET":
            data = dict(request.query_params)
            for name in ("variables", "extensions"):
                if data.get(name):
                    data[name] = self._decode_parameter(name, data[name])
            return spec.request_parameters(data, get=True)
        content_type = request.headers.get("content-type", "")
        params: dict[str, str]
        if content_type == spec.JSON:  # what clients send: no need to parse it as a MIME header
            media_type, params = content_type, {}
        else:
            media_type, params = parse_content_type(content_type)
        if media_type == "multipart/form-data" and self.multipart_uploads_enabled:
            adapter = self.request_adapter_class(request)
            return spec.request_parameters(await self.parse_multipart(adapter))
        spec.check_json_content_type(media_type, params)
        return spec.request_parameters(spec.decode_body(await request.body()))

    def _decode_parameter(self, name: str, text: str) -> Any:
        try:
            return spec.decode_json(text)
        except ValueError as error:
            raise spec.bad_request(f"`{name}` is not valid JSON: {error}.") from None

    def decode_json(self, data: str | bytes) -> object:
        # Also decodes WebSocket frames and multipart `operations`: strict and bounded.
        return spec.decode_json(data)

    async def execute(
        self, request: Request, params: GraphQLRequestData, context: Context
    ) -> ExecutionResult:
        allowed = GET_ONLY if request.method == "GET" else POST_ONLY
        if self.direct is not None:
            result = await self.direct.execute(
                params.query,
                params.variables,
                context,
                params.operation_name,
                allowed,
                params.extensions,
            )
            if result is not None:
                return result
        try:
            return await self.schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as error:
            raise self._wrong_operation(request, error.operation_type) from None
        except CannotGetOperationTypeError as error:
            raise spec.TransportError(
                400,
                "OPERATION_RESOLUTION_FAILURE",
                error.as_http_error_reason()
                + " Name the operation to run in `operationName` when the document has several.",
                legacy_status=200,
            ) from None
        except MissingQueryError:
            raise spec.bad_request("The request has no `query`.") from None

    @staticmethod
    def _wrong_operation(request: Request, operation: OperationType) -> spec.TransportError:
        if operation is OperationType.SUBSCRIPTION:
            ws_url = request.url.replace(scheme="wss" if request.url.scheme == "https" else "ws")
            return spec.TransportError(
                400,
                "WEBSOCKET_REQUIRED",
                "Subscriptions are served over WebSocket only: connect to "
                f"{ws_url.replace(query='')} with the graphql-transport-ws subprotocol.",
                legacy_status=200,
            )
        return spec.TransportError(
            405,
            "METHOD_NOT_ALLOWED",
            "Mutations must be sent with POST; GET runs queries only.",
            headers={"Allow": "POST"},
        )

    def graphql_response(
        self, request: Request, result: ExecutionResult, media_type: str
    ) -> Response:
        errors: list[GraphQLError] = list(result.errors or ())
        spec.tag_client_errors(errors, pre_execution=isinstance(result, PreExecutionError))
        body: dict[str, Any] = dict(process_result(result))
        status, headers = 200, {}
        refused = spec.request_error_status(errors, result.data is not None)
        if refused is not None:
            self._log_refusal(request, errors[0].message, errors[0].extensions)
            if media_type == spec.GRAPHQL_RESPONSE_JSON:
                # Nothing executed: the spec's 4xx, and no `data` entry at all.
                body.pop("data", None)
                status = refused
                if status == 401:
                    headers["WWW-Authenticate"] = "Bearer"
        return self._json(body, status, media_type, headers)

    def error_response(self, request: Request, error: spec.TransportError) -> Response:
        media_type = spec.negotiate(request.headers.get("accept")) or spec.JSON
        extensions = {"code": error.code, "requestId": request_id(request)}
        self._log_refusal(request, error.message, extensions)
        body = {"errors": [{"message": error.message, "extensions": extensions}]}
        return self._json(body, error.status_for(media_type), media_type, error.headers)

    def _json(
        self, body: object, status: int, media_type: str, headers: Mapping[str, str]
    ) -> Response:
        content_type = f"{media_type}; charset=utf-8" if media_type != spec.JSON else media_type
        return Response(
            self.encode_json(body),
            status_code=status,
            headers={**headers, "Content-Type": content_type},
        )

    @staticmethod
    def _log_refusal(request: Request, message: str, extensions: Any) -> None:
        # A refused request is the client's mistake, not the server's: INFO, no traceback.
        code = (extensions or {}).get("code", "-")
        log.info("request %s refused: %s %s", request_id(request), code, message)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self.services
        context = Context(
            db=services.db,
            reference=services.reference,
            bus=services.bus,
            token=None,
            request_id=request_id(request),
            request=request,
            gateways=services.gateways,
        )
        if isinstance(request, Request):
            try:
                context.token = await services.auth.authenticate(
                    request.headers.get("authorization")
                )
            except InvalidToken as error:
                context.auth_error = str(error)
                await _count_auth_failure(request)
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        websocket: WebSocket = context.request
        try:
            header = authorization_param(context.connection_params)
            if header is None:  # non-browser clients may authenticate the upgrade request
                header = websocket.headers.get("authorization")
            context.token = await self.services.auth.authenticate(header)
        except InvalidToken as error:
            reason = f"Forbidden: {error}"
            websocket.state.rejection = reason
            log.info("websocket %s refused: %s", context.request_id, reason)
            raise ConnectionRejectionError({"reason": reason}) from error
        except Exception as error:
            if not is_unavailable(error):
                raise
            # The database is unreachable: 1013 "Try Again Later", not a forbidden token.
            websocket.state.rejection = "Service temporarily unavailable; try again later."
            websocket.state.rejection_code = 1013
            log.error("websocket %s: service unavailable: %r", context.request_id, error)
            raise ConnectionRejectionError({"reason": "unavailable"}) from error
        if context.token is not None:  # so that revoking the token closes this connection
            self.services.revocations.track(context.token.id, websocket)
        return None


def authorization_param(params: object) -> str | None:
    """`Authorization` from a connection_init payload, whatever its case (GraphiQL sends
    its headers tab as is), at the top level or under `headers` (Apollo-style clients)."""
    if not isinstance(params, dict):
        return None
    for scope in (params, params.get("headers")):
        if isinstance(scope, dict):
            for key, value in scope.items():
                if isinstance(key, str) and key.lower() == "authorization":
                    if not isinstance(value, str):
                        raise InvalidToken("Authorization must be `Bearer <secret>`.")
                    return value
    return None


async def _count_auth_failure(request: Request) -> None:
    """Unknown tokens are charged to the client's IP, so minting fake secrets does not
    buy a fresh rate-limit bucket per request."""
    # Imported here: request_limits imports this module for request ids.
    from server.request_limits import client_ip, throttle_of

    throttle = throttle_of(request.scope)
    if throttle is not None:
        await throttle.auth_failed(client_ip(request.scope))
