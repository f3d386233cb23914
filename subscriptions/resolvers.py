"""Subscription resolvers: bus events filtered to what the caller asked for and may see."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime

from resolvers.context import Context
from resolvers.errors import ApiError
from subscriptions.fanout import QUEUE_SIZE, SubscriberOverflow


@dataclass(frozen=True, slots=True)
class AvailabilityChange:
    sku: str
    channel: str
    available: int
    at: datetime


def _too_slow() -> ApiError:
    return ApiError(
        f"This subscription fell more than {QUEUE_SIZE} events behind and was ended; "
        "events were dropped for it. Subscribe again and re-read the current state.",
        "SLOW_CONSUMER",
    )


async def availability_changed(
    ctx: Context, channel: str, skus: list[str] | None
) -> AsyncGenerator[AvailabilityChange, None]:
    wanted = set(skus) if skus else None
    owner = ctx.token.id if ctx.token is not None else None
    try:
        async for event in ctx.bus.subscribe("availability", owner, key=channel):
            if event["channel"] != channel or (wanted is not None and event["sku"] not in wanted):
                continue
            yield AvailabilityChange(
                event["sku"],
                event["channel"],
                event["available"],
                datetime.fromisoformat(event["at"]),
            )
    except SubscriberOverflow as overflow:
        raise _too_slow() from overflow
