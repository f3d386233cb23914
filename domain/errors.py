"""Typed domain errors. Each carries a code (owned here, exposed by the API) and a field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    STALE_UPDATE = "STALE_UPDATE"
    COUPON_INVALID = "COUPON_INVALID"
    COUPON_EXHAUSTED = "COUPON_EXHAUSTED"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one part of the input; `field` is the path into the input."""

    field: tuple[str, ...]
    code: ErrorCode
    message: str


class DomainError(Exception):
    """An expected failure the client can fix; maps to `userErrors`."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, field: Sequence[str], code: ErrorCode, message: str) -> DomainError:
        return cls([FieldError(tuple(field), code, message)])


def invalid(field: Sequence[str], message: str) -> FieldError:
    return FieldError(tuple(field), ErrorCode.INVALID, message)


def not_found(field: Sequence[str], message: str) -> FieldError:
    return FieldError(tuple(field), ErrorCode.NOT_FOUND, message)


def duplicate(field: Sequence[str], message: str) -> FieldError:
    return FieldError(tuple(field), ErrorCode.DUPLICATE, message)


def forbidden(field: Sequence[str], message: str) -> FieldError:
    return FieldError(tuple(field), ErrorCode.FORBIDDEN, message)
