"""Settings of the request and query limits (docs/limits.md explains each number).

Kept apart from server/settings.py so the limits can grow without touching what every
part of the server reads; Settings holds one `limits` field of this type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MIB = 1024 * 1024

# Cost units a token may spend per minute, by token kind; "anonymous" is per client IP.
# Storefront tokens serve every shopper of a shop and the catalog response cache makes
# their repeated queries cheap, so they get the most.
DEFAULT_COST_BUDGETS: dict[str, int] = {
    "anonymous": 300_000,
    "customer": 1_000_000,
    "partner": 6_000_000,
    "admin": 6_000_000,
    "storefront": 60_000_000,
}


@dataclass(frozen=True, slots=True)
class LimitSettings:
    max_body_bytes: int = 1 * MIB
    max_upload_bytes: int = 100 * MIB  # multipart (inventoryUpload), with a token only
    max_query_tokens: int = 2_000
    max_query_fields: int = 1_000
    max_introspection_depth: int = 20
    document_cache_bytes: int = 16 * MIB
    # Requests per second; a bucket holds two seconds' worth. 0 turns a limit off.
    token_requests_per_second: float = 5_000
    anonymous_requests_per_second: float = 20
    # (kind, units per minute) pairs; a tuple keeps the settings hashable.
    cost_budgets: tuple[tuple[str, int], ...] = tuple(DEFAULT_COST_BUDGETS.items())

    def cost_budget(self, kind: str) -> int:
        return dict(self.cost_budgets).get(kind, 0)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LimitSettings:
        defaults = cls()

        def number(name: str, default: float) -> float:
            return float(env.get(name, default))

        budgets = dict(DEFAULT_COST_BUDGETS)
        for item in env.get("ORCHESTRA_COST_BUDGETS", "").split(","):
            kind, _, value = item.partition("=")
            if kind.strip() and value.strip():
                budgets[kind.strip()] = int(value)
        return cls(
            max_body_bytes=int(number("ORCHESTRA_MAX_BODY_BYTES", defaults.max_body_bytes)),
            max_upload_bytes=int(number("ORCHESTRA_MAX_UPLOAD_BYTES", defaults.max_upload_bytes)),
            max_query_tokens=int(number("ORCHESTRA_MAX_QUERY_TOKENS", defaults.max_query_tokens)),
            max_query_fields=int(number("ORCHESTRA_MAX_QUERY_FIELDS", defaults.max_query_fields)),
            max_introspection_depth=int(
                number("ORCHESTRA_MAX_INTROSPECTION_DEPTH", defaults.max_introspection_depth)
            ),
            document_cache_bytes=int(
                number("ORCHESTRA_DOCUMENT_CACHE_BYTES", defaults.document_cache_bytes)
            ),
            token_requests_per_second=number(
                "ORCHESTRA_RATE_LIMIT", defaults.token_requests_per_second
            ),
            anonymous_requests_per_second=number(
                "ORCHESTRA_ANONYMOUS_RATE_LIMIT", defaults.anonymous_requests_per_second
            ),
            cost_budgets=tuple(budgets.items()),
        )
