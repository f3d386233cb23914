"""Ingest rules: absolute counts with asOf, idempotent deltas, and per-update validation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import NamedTuple

from domain.errors import ErrorCode, FieldError, invalid
from domain.inventory.model import position_available
from domain.validation import (
    CODE_LENGTH,
    MAX_QUANTITY,
    NAME_LENGTH,
    is_text,
    quantity,
    text,
    timestamp,
)

MAX_BATCH = 10_000
# A count stamped slightly in the future is a clock difference; further is a bad timestamp.
CLOCK_SKEW = timedelta(minutes=5)
# What a position's onHand may reach; above it an update is clamped (and counted so).
MAX_ON_HAND = MAX_QUANTITY

PositionKey = tuple[int, int]  # (variant id, location id)


class SetUpdate(NamedTuple):
    """Absolute: onHand as counted at `as_of` by a system of record.

    A NamedTuple rather than a frozen dataclass (as Movement): a batch builds up to 10,000
    of them and a tuple is built about three times as fast."""

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


def set_is_valid(update: SetUpdate, latest: datetime, times: dict[datetime, bool]) -> bool:
    """True only when `validate_set(update, ...)` has nothing to say, without building its
    error lists: a batch of 1,000 counts is checked in a tenth of the time. `latest` is
    now + CLOCK_SKEW; `times` remembers each asOf already checked (a batch usually sends
    one). False means: ask validate_set for the errors."""
    sku, location, on_hand = update.sku, update.location, update.on_hand
    unsellable, safety = update.unsellable, update.safety_stock
    if not (
        type(sku) is str
        and type(location) is str
        and type(on_hand) is int
        and (unsellable is None or type(unsellable) is int)
        and (safety is None or type(safety) is int)
        and 0 < len(sku) <= CODE_LENGTH
        and 0 < len(location) <= CODE_LENGTH
        and 0 <= on_hand <= MAX_QUANTITY
        and (unsellable is None or 0 <= unsellable <= MAX_QUANTITY)
        and (safety is None or 0 <= safety <= MAX_QUANTITY)
        and sku.strip()
        and location.strip()
        and is_text(sku)
        and is_text(location)
    ):
        return False
    as_of = update.as_of
    if not isinstance(as_of, datetime):
        return False
    fine = times.get(as_of)
    if fine is None:
        fine = times[as_of] = not timestamp(as_of, ("asOf",)) and as_of <= latest
    return fine


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
    # Built directly rather than by dataclasses.replace: a batch makes 1,000 of them.
    new = PositionState(
        min(max(0, raw), MAX_ON_HAND),
        state.allocated,
        state.reserved,
        state.safety_stock if update.safety_stock is None else update.safety_stock,
        state.unsellable if update.unsellable is None else update.unsellable,
        update.as_of,
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
