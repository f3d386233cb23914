"""Top-level API errors with the contract's `extensions.code`."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from resolvers.ids import parse_cursor


class ApiError(GraphQLError):
    """An error the client caused or must act on; never masked."""

    def __init__(self, message: str, code: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code, **extra})


def unauthenticated(reason: str | None = None) -> ApiError:
    message = reason or "Authentication required: send Authorization: Bearer <token>."
    return ApiError(message, "UNAUTHENTICATED")


def forbidden(message: str) -> ApiError:
    return ApiError(message, "FORBIDDEN")


def checked_cursor(value: str | None, parts: int = 1) -> tuple[int, ...] | None:
    try:
        return parse_cursor(value, parts)
    except ValueError as exc:
        raise ApiError("Malformed cursor in `after`.", "INVALID") from exc
