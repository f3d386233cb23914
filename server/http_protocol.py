"""GraphQL over HTTP, as specified (https://graphql.github.io/graphql-over-http/draft/).

What the view needs and nothing of Starlette or strawberry's view: which media type to
answer in, how to read a request body into GraphQL parameters, and which status and
error code a result gets. Error codes of the client's making (documented in README.md):

| code | status (graphql-response+json / application/json) | cause |
|---|---|---|
| BAD_REQUEST | 400 / 400 | not a well-formed request: body not UTF-8 or JSON, not an object, `query` missing, a parameter of the wrong type, JSON nested too deeply |
| UNSUPPORTED_MEDIA_TYPE | 415 / 415 | a POST body that is neither `application/json` nor `multipart/form-data` |
| NOT_ACCEPTABLE | 406 / 406 | `Accept` names neither `application/graphql-response+json` nor `application/json` |
| METHOD_NOT_ALLOWED | 405 / 405 | a mutation over GET, or a method other than GET and POST (`Allow` says which) |
| GRAPHQL_PARSE_FAILED | 400 / 200 | the document does not parse |
| GRAPHQL_VALIDATION_FAILED | 400 / 200 | the document does not validate against the schema |
| OPERATION_RESOLUTION_FAILURE | 400 / 200 | `operationName` names no operation, or several operations and none named |
| BAD_USER_INPUT | 400 / 200 | variables that do not coerce to their declared types |
| WEBSOCKET_REQUIRED | 400 / 200 | a subscription sent over HTTP |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from strawberry.http import GraphQLRequestData

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# How a request error's code maps to a status under application/graphql-response+json.
# Codes not listed are request errors of the client's making: 400.
STATUS_BY_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
}


@dataclass
class TransportError(Exception):
    """A request answered with errors and no execution. `legacy_status` applies when the
    response is `application/json`, where the spec asks for 200 on GraphQL request errors."""

    status: int
    code: str
    message: str
    legacy_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def status_for(self, media_type: str) -> int:
        if media_type == JSON and self.legacy_status is not None:
            return self.legacy_status
        return self.status


def bad_request(message: str) -> TransportError:
    return TransportError(400, "BAD_REQUEST", message)


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither (406).

    No `Accept`, `*/*` and `application/*` get `application/json`: legacy clients send
    those and read JSON. Between equally preferred types named explicitly,
    `application/graphql-response+json` wins."""
    if accept is None or not accept.strip():
        return JSON
    ranges = [_media_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[float, int, bool] | None = None
    chosen: str | None = None
    for media in (GRAPHQL_RESPONSE_JSON, JSON):
        quality, specificity = _quality(ranges, media)
        if quality <= 0:
            continue
        preferred = (media == GRAPHQL_RESPONSE_JSON) == (specificity == 2)
        key = (quality, specificity, preferred)
        if best is None or key > best:
            best, chosen = key, media
    return chosen


def _media_range(part: str) -> tuple[str, float]:
    media, *params = (p.strip() for p in part.split(";"))
    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def _quality(ranges: list[tuple[str, float]], media: str) -> tuple[float, int]:
    """RFC 9110: the most specific range that matches decides the quality."""
    kind = media.split("/")[0]
    found: tuple[float, int] = (0.0, -1)
    for candidate, quality in ranges:
        specificity = (
            2
            if candidate == media
            else 1
            if candidate == f"{kind}/*"
            else 0
            if candidate == "*/*"
            else -1
        )
        if specificity > found[1]:
            found = (quality, specificity)
    return found


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# NaN and Infinity are not JSON (RFC 8259); Python accepts them unless told otherwise.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def decode_json(text: str | bytes) -> Any:
    """Strict JSON. Every way it can fail is a ValueError (JSONDecodeError for json's
    own), never a RecursionError: deeply nested input is refused, not a server fault."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError):
            raise
        raise json.JSONDecodeError(str(error), "", 0) from None


def decode_body(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The request body is not UTF-8.") from None
    if not text.strip():
        raise bad_request('The request body is empty; send {"query": "..."}.')
    try:
        return decode_json(text)
    except json.JSONDecodeError as error:
        raise bad_request(f"The request body is not valid JSON: {error.msg}.") from None


def check_json_content_type(media_type: str, params: Mapping[str, str]) -> None:
    if media_type != JSON:
        shown = media_type or "none"
        raise TransportError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type {shown} is not supported: send application/json "
            "(or multipart/form-data for file uploads).",
        )
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise TransportError(
            415, "UNSUPPORTED_MEDIA_TYPE", f"charset {charset} is not supported: send utf-8."
        )


def request_parameters(data: object, *, get: bool = False) -> GraphQLRequestData:
    """The GraphQL-over-HTTP parameters, each checked for its type (400 otherwise)."""
    if not isinstance(data, dict):
        raise bad_request(
            f'The request body must be a JSON object like {{"query": "..."}}, not {_kind(data)}.'
        )
    query = data.get("query")
    if query is None or query == "":
        raise bad_request("The request has no `query`: send the GraphQL document as `query`.")
    if not isinstance(query, str):
        raise bad_request(f"`query` must be a string, not {_kind(query)}.")
    operation_name = data.get("operationName")
    if get and operation_name == "":
        operation_name = None
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request(f"`operationName` must be a string, not {_kind(operation_name)}.")
    for name in ("variables", "extensions"):
        value = data.get(name)
        if value is not None and not isinstance(value, dict):
            raise bad_request(f"`{name}` must be a JSON object, not {_kind(value)}.")
    return GraphQLRequestData(
        query=query,
        variables=data.get("variables"),
        operation_name=operation_name,
        extensions=data.get("extensions"),
    )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def tag_client_errors(errors: list[GraphQLError], *, pre_execution: bool) -> None:
    """Give errors of the client's making a code. Errors that carry one keep it (the
    contract's UNAUTHENTICATED, FORBIDDEN, QUERY_TOO_COMPLEX, INTERNAL). Idempotent:
    validation errors come from a cache and may be tagged again."""
    for error in errors:
        original = error.original_error
        if (error.extensions or {}).get("code") or (
            original is not None and not isinstance(original, GraphQLError)
        ):
            continue
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif pre_execution:
            code = "GRAPHQL_VALIDATION_FAILED"
        elif any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ()):
            code = "BAD_USER_INPUT"
        else:
            continue
        error.extensions = {**(error.extensions or {}), "code": code}


def request_error_status(errors: list[GraphQLError] | None, has_data: bool) -> int | None:
    """The status of a response that executed nothing (no data, no error with a path),
    under application/graphql-response+json; None when execution ran (200)."""
    if has_data or not errors or any(error.path for error in errors):
        return None
    code = (errors[0].extensions or {}).get("code")
    return STATUS_BY_CODE.get(code, 400) if isinstance(code, str) else 400
