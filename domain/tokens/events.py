"""Token events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from domain.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRevoked(DomainEvent):
    """Every worker evicts the token from its cache and closes its connections."""

    topic: ClassVar[str] = "tokens"
    token_id: int

    def payload(self) -> dict[str, Any]:
        return {"type": "TokenRevoked", "tokenId": self.token_id}
