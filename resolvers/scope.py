"""Row-level scoping by token binding (which rows a bound token may see)."""

from __future__ import annotations

from resolvers.context import Context
from resolvers.errors import forbidden


def location_filter(ctx: Context, requested: str | None) -> str | None:
    """A location-bound token sees only its own location's inventory."""
    bound = ctx.token.location if ctx.token is not None else None
    if bound is None:
        return requested
    if requested is not None and requested != bound:
        raise forbidden("This token may only read its own location.")
    return bound
