"""Error helpers for orders; the codes themselves are owned by domain/errors.py."""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import DomainError, ErrorCode, FieldError


def invalid_transition(field: Sequence[str], message: str) -> DomainError:
    return DomainError.single(field, ErrorCode.INVALID_TRANSITION, message)


def insufficient_stock(field: Sequence[str], message: str) -> FieldError:
    return FieldError(tuple(field), ErrorCode.INSUFFICIENT_STOCK, message)


def raise_if(errors: Sequence[FieldError]) -> None:
    """Raise every problem at once, so a client fixes its input in one round trip."""
    if errors:
        raise DomainError(errors)
