"""Who is acting: the bindings of the caller's token that domain rules must respect."""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM_SCOPE = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    name: str = "system"
    channel: str | None = None  # a channel-bound token acts only within this channel
    location: str | None = None  # a location-bound token acts only on this location
    token_id: int | None = None  # the API token acting; None for the CLI and imports

    def may_act_on_location(self, code: str) -> bool:
        return self.location is None or self.location == code

    @property
    def scope(self) -> str:
        """The namespace of the caller's idempotency keys and inventory event ids: one per
        token (a token's id never changes), one shared by system callers."""
        return SYSTEM_SCOPE if self.token_id is None else f"token:{self.token_id}"


SYSTEM = Actor()
