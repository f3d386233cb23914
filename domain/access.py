"""Who is acting, and what the bindings of the caller's token let it see and do.

This is the one place row-level visibility is decided. Every entry point that loads by
id or code (node, product, variant, lookups, per-location breakdowns, subscriptions) asks
the actor; an object the actor may not see is treated as absent, never as forbidden, so
its existence is not hinted at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SYSTEM_CALLER = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    name: str = "system"
    channel: str | None = None  # a channel-bound token acts only within this channel
    location: str | None = None  # a location-bound token acts only on this location
    token_id: int | None = None  # None: the system itself (CLI, imports, jobs)
    kind: str | None = None
    scopes: frozenset[str] | None = None  # None: every scope (the system)

    @property
    def is_bound(self) -> bool:
        return self.channel is not None or self.location is not None

    def may_act_on_location(self, code: str) -> bool:
        return self.location is None or self.location == code

    def sees_channel(self, code: str) -> bool:
        return self.channel is None or self.channel == code

    def sees_location(self, code: str) -> bool:
        return self.location is None or self.location == code

    def sees_assortment(self, sold_in: Iterable[str]) -> bool:
        """A channel-bound token sees the products its channel sells (has a price for)."""
        return self.channel is None or self.channel in set(sold_in)

    def holds(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def caller_id(self) -> str:
        """The namespace of the caller's idempotency keys and inventory event ids: one per
        token (a token's id never changes), one shared by the system (CLI, imports).
        Not to be confused with `scopes`, what the caller may do."""
        if self.token_id is not None:
            return f"token:{self.token_id}"
        # Anonymous callers hold no scopes; they must never share the system's keys.
        return SYSTEM_CALLER if self.scopes is None else "anonymous"


SYSTEM = Actor()
