"""Subscription resolvers: bus events filtered to what the caller asked for and may see."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime

from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class AvailabilityChange:
    sku: str
    channel: str
    available: int
    at: datetime


async def availability_changed(
    ctx: Context, channel: str, skus: list[str] | None
) -> AsyncGenerator[AvailabilityChange, None]:
    wanted = set(skus) if skus else None
    async for event in ctx.bus.subscribe("availability"):
        if event["channel"] != channel or (wanted is not None and event["sku"] not in wanted):
            continue
        yield AvailabilityChange(
            event["sku"], event["channel"], event["available"], datetime.fromisoformat(event["at"])
        )
