"""Payload read models: the object plus its userErrors, as the schema's payload types expect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.errors import DomainError, FieldError
from domain.tokens.model import ApiToken

T = TypeVar("T")


@dataclass(slots=True)
class Result(Generic[T]):
    value: T | None = None
    user_errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def failed(cls, error: DomainError) -> Result[T]:
        return cls(None, error.errors)

    # The payload types name their object field after the entity.
    @property
    def product(self) -> T | None:
        return self.value

    @property
    def location(self) -> T | None:
        return self.value

    @property
    def inventory_view(self) -> T | None:
        return self.value

    @property
    def channel(self) -> T | None:
        return self.value

    @property
    def category(self) -> T | None:
        return self.value

    @property
    def cart(self) -> T | None:
        return self.value

    @property
    def order(self) -> T | None:
        return self.value

    @property
    def fulfillment(self) -> T | None:
        return self.value

    @property
    def settings(self) -> T | None:
        return self.value

    @property
    def promotion(self) -> T | None:
        return self.value


@dataclass(slots=True)
class TokenResult:
    token: ApiToken | None = None
    secret: str | None = None
    user_errors: list[FieldError] = field(default_factory=list)
