"""Inventory events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.events import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AvailabilityChanged(DomainEvent):
    """A SKU's published ATP in one channel moved (the `availabilityChanged` feed).

    Payload: {"sku", "channel", "available", "at" (ISO 8601)} — what
    subscriptions/resolvers.py reads.
    """

    topic: ClassVar[str] = "availability"

    sku: str
    channel: str
    available: int
    at: datetime
