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
    customer: str | None = None  # a customer token: this shopper's normalized e-mail

    @property
    def is_bound(self) -> bool:
        return self.channel is not None or self.location is not None or self.customer is not None

    def may_act_on_location(self, code: str) -> bool:
        return self.location is None or self.location == code

    def sees_channel(self, code: str) -> bool:
        return self.channel is None or self.channel == code

    def sees_location(self, code: str) -> bool:
        return self.location is None or self.location == code

    def sees_assortment(self, sold_in: Iterable[str]) -> bool:
        """A channel-bound token sees the products its channel sells (has a price for)."""
        return self.channel is None or self.channel in set(sold_in)

    def sees_customer(self, email: str | None) -> bool:
        """A customer token sees only what belongs to its own shopper."""
        return self.customer is None or (email is not None and email == self.customer)

    def sees_order(self, channel: str, email: str | None, location_codes: Iterable[str]) -> bool:
        """Channel, customer and location bindings at once: an order of another channel,
        another shopper, or without work at the token's location is invisible."""
        if not (self.sees_channel(channel) and self.sees_customer(email)):
            return False
        return self.location is None or self.location in set(location_codes)

    def sees_cart(self, channel: str, email: str | None) -> bool:
        """A cart is the storefront's (its channel) and, once bound, its shopper's. A
        customer token reaches only carts bound to itself; a location token none."""
        if self.location is not None:
            return False
        return self.sees_channel(channel) and self.sees_customer(email)

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
