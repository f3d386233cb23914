"""The movement journal: every change to onHand, and the rule for a reused event id."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import NamedTuple

from domain.errors import ErrorCode, FieldError
from domain.inventory.ingest import update_path


class MovementKind(Enum):
    SET = "set"  # an absolute count: its delta is what the count changed
    ADJUST = "adjust"  # a relative movement sent with an event id
    SHIP = "ship"  # units that left with a shipment or a pickup handover (orders)
    RETURN = "return"  # returned units restocked at the receiving location (returns)


class Movement(NamedTuple):
    """One change to onHand. A NamedTuple rather than a frozen dataclass: a batch builds up
    to 10,000 of them and a tuple is built about twice as fast."""

    variant_id: int
    location_id: int
    kind: MovementKind
    delta: int
    recorded_at: datetime
    reason: str | None = None
    as_of: datetime | None = None  # counts: when the count was taken
    event_id: str | None = None  # adjustments: the sender's id, unique per scope
    scope: str | None = None  # adjustments: whose event id it is (Actor.caller_id)

    def same_event(self, other: Movement) -> bool:
        """Whether a resent event id carries the same movement (then it is a duplicate;
        otherwise the sender reused an id for something else, a conflict)."""
        return (self.variant_id, self.location_id, self.delta, self.reason) == (
            other.variant_id,
            other.location_id,
            other.delta,
            other.reason,
        )


def event_conflict(index: int, event_id: str) -> FieldError:
    return FieldError(
        update_path(index, "eventId"),
        ErrorCode.CONFLICT,
        f"eventId {event_id!r} was already used for a different movement.",
    )
