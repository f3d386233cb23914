"""Token events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRevoked(DomainEvent):
    """Every worker evicts the token from its cache and closes its connections."""

    topic: ClassVar[str] = "tokens.revoked"
    token_id: int
