"""Ingest rules: absolute counts with asOf, idempotent deltas, and per-update validation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from domain.errors import ErrorCode, FieldError, invalid
from domain.inventory.model import position_available
from domain.validation import CODE_LENGTH, MAX_QUANTITY, NAME_LENGTH, quantity, text, timestamp

MAX_BATCH = 10_000
# A count stamped slightly in the future is a clock difference; further is a bad timestamp.
CLOCK_SKEW = timedelta(minutes=5)
# What a position's onHand may reach; above it an update is clamped (and counted so).
MAX_ON_HAND = MAX_QUANTITY

PositionKey = tuple[int, int]  # (variant id, location id)


@dataclass(frozen=True, slots=True)
class SetUpdate:
    """Absolute: onHand as counted at `as_of` by a system of record."""

    sku: str
    location: str
    on_hand: int
    as_of: datetime
    unsellable: int | None = None
    safety_stock: int | None = None


@dataclass(frozen=True, slots=True)
class AdjustUpdate:
    """Relative movement (a sale is -1, a receipt +n); `event_id` makes it idempotent."""

    sku: str
    location: str
    delta: int
    reason: str
    event_id: str


@dataclass(frozen=True, slots=True)
class PositionState:
    on_hand: int = 0
    allocated: int = 0
    reserved: int = 0
    safety_stock: int = 0
    unsellable: int = 0
    last_as_of: datetime | None = None

    @property
    def available(self) -> int:
        return position_available(
            self.on_hand, self.allocated, self.reserved, self.safety_stock, self.unsellable
        )


@dataclass(slots=True)
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    clamped: int = 0
    errors: list[FieldError] = field(default_factory=list)


def update_path(index: int, name: str) -> tuple[str, ...]:
    return ("updates", str(index), name)


def validate_batch_size(count: int) -> list[FieldError]:
    if count > MAX_BATCH:
        return [invalid(("updates",), f"At most {MAX_BATCH} updates per call, got {count}.")]
    return []


def _where(update: SetUpdate | AdjustUpdate, index: int) -> list[FieldError]:
    # Codes longer than a column can hold name nothing: say so rather than NOT_FOUND.
    return text(update.sku, update_path(index, "sku"), CODE_LENGTH) + text(
        update.location, update_path(index, "location"), CODE_LENGTH
    )


def validate_set(update: SetUpdate, index: int, now: datetime) -> list[FieldError]:
    errors = _where(update, index)
    errors += quantity(update.on_hand, update_path(index, "onHand"))
    errors += quantity(update.unsellable, update_path(index, "unsellable"))
    errors += quantity(update.safety_stock, update_path(index, "safetyStock"))
    as_of = timestamp(update.as_of, update_path(index, "asOf"))
    if as_of:
        errors += as_of
    elif update.as_of > now + CLOCK_SKEW:
        errors.append(invalid(update_path(index, "asOf"), "asOf is in the future."))
    return errors


def validate_adjust(update: AdjustUpdate, index: int) -> list[FieldError]:
    errors = _where(update, index)
    if update.delta == 0:
        errors.append(invalid(update_path(index, "delta"), "delta must not be zero."))
    else:
        errors += quantity(abs(update.delta), update_path(index, "delta"))
    errors += text(update.event_id, update_path(index, "eventId"), NAME_LENGTH)
    errors += text(update.reason, update_path(index, "reason"), NAME_LENGTH)
    return errors


def validate_incoming(
    quantity_: int, expected_at: date, reference: str | None, today: date
) -> list[FieldError]:
    errors = quantity(quantity_, ("quantity",), minimum=1)
    if expected_at < today:
        errors.append(invalid(("expectedAt",), "expectedAt must not be in the past."))
    errors += text(reference, ("reference",), NAME_LENGTH, required=False)
    return errors


def is_stale(state: PositionState, as_of: datetime) -> bool:
    return state.last_as_of is not None and as_of < state.last_as_of


def apply_set(
    state: PositionState, update: SetUpdate, movements_since: Iterable[tuple[datetime, int]]
) -> tuple[PositionState, bool]:
    """The new state for a count taken at `as_of`; movements recorded after it are re-applied.

    Returns the state and whether the result had to be clamped at zero.
    """
    later = sum(delta for recorded_at, delta in movements_since if recorded_at > update.as_of)
    raw = update.on_hand + later
    new = replace(
        state,
        on_hand=min(max(0, raw), MAX_ON_HAND),
        last_as_of=update.as_of,
        unsellable=state.unsellable if update.unsellable is None else update.unsellable,
        safety_stock=state.safety_stock if update.safety_stock is None else update.safety_stock,
    )
    return new, not 0 <= raw <= MAX_ON_HAND


def apply_adjust(state: PositionState, delta: int) -> tuple[PositionState, bool]:
    """Stock cannot go below zero: a sale of more than is on hand clamps at zero and is flagged.
    Nor above MAX_ON_HAND, so that it always fits the Int it is served as.

    The movement itself is journaled with its full delta, so a later count re-applies it
    and nothing the till reported is lost.
    """
    raw = state.on_hand + delta
    return replace(state, on_hand=min(max(0, raw), MAX_ON_HAND)), not 0 <= raw <= MAX_ON_HAND


def duplicate_in_batch(index: int, first: int) -> FieldError:
    return FieldError(
        update_path(index, "sku"),
        ErrorCode.DUPLICATE,
        f"Same SKU and location as update {first} in this batch.",
    )
