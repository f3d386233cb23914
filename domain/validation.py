"""Edge rules for every value that reaches storage: text, money, quantities, timestamps.

Each rule returns the FieldErrors of one value, so validators read as a list of checks and
a bad value is a userError with its field path, never a database fault. docs/limits.md
lists the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from domain.errors import FieldError, invalid

# Units of one SKU at one location. Far below 2**31 so that sums over a few locations,
# deltas and re-applied movements stay in range; channel totals are capped at MAX_INT.
MAX_QUANTITY = 100_000_000
# The largest value a GraphQL Int can carry.
MAX_INT = 2**31 - 1
# Money columns are NUMERIC(18, 4): 14 digits before the point, 4 after.
MONEY_PLACES = 4
MAX_MONEY = Decimal(10) ** 14
# Timestamps outside these years are typing errors (or attacks), and near the ends of
# Python's range an offset alone overflows (0001-01-01T00:00:00+14:00 is year 0 in UTC).
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP = datetime(9000, 1, 1, tzinfo=UTC)

# Column widths: names and titles as stored (persistence/tables.py must be at least this).
CODE_LENGTH = 64
NAME_LENGTH = 200
TITLE_LENGTH = 500
DESCRIPTION_LENGTH = 20_000

# NUL ends strings in C and PostgreSQL rejects it; unpaired surrogates cannot be encoded.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def is_text(value: str) -> bool:
    """Whether a string is storable text (no NUL, no unpaired surrogate)."""
    return _NOT_TEXT.search(value) is None


def text(
    value: str | None,
    path: Sequence[str],
    max_length: int,
    *,
    required: bool = True,
    label: str | None = None,
) -> list[FieldError]:
    """Present (when required), storable, and at most `max_length` characters."""
    name = label or path[-1]
    if value is None:
        return [invalid(path, f"{name} is required.")] if required else []
    if not is_text(value):
        return [invalid(path, f"{name} must not contain NUL characters or unpaired surrogates.")]
    if len(value) > max_length:
        return [invalid(path, f"{name} must be at most {max_length} characters.")]
    if required and not value.strip():
        return [invalid(path, f"{name} must not be empty.")]
    return []


def texts(values: Sequence[str], path: Sequence[str], max_length: int) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, value in enumerate(values):
        errors += text(value, (*path, str(i)), max_length)
    return errors


def money(
    value: Decimal | None, path: Sequence[str], *, label: str | None = None
) -> list[FieldError]:
    """A finite, non-negative amount with at most four decimals, below 10**14."""
    name = label or path[-1]
    if value is None:
        return []
    if not value.is_finite():
        return [invalid(path, f"{name} must be a finite number.")]
    if value < 0:
        return [invalid(path, f"{name} must not be negative.")]
    if value >= MAX_MONEY:
        return [invalid(path, f"{name} must be below {MAX_MONEY:,.0f}.")]
    if value != value.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
        return [invalid(path, f"{name} must have at most {MONEY_PLACES} decimal places.")]
    return []


def quantity(
    value: int | None,
    path: Sequence[str],
    *,
    minimum: int = 0,
    maximum: int = MAX_QUANTITY,
    label: str | None = None,
) -> list[FieldError]:
    name = label or path[-1]
    if value is None:
        return []
    if value < minimum:
        bound = "negative" if minimum == 0 else f"below {minimum}"
        return [invalid(path, f"{name} must not be {bound}.")]
    if value > maximum:
        return [invalid(path, f"{name} must be at most {maximum:,}.")]
    return []


def timestamp(value: datetime | None, path: Sequence[str]) -> list[FieldError]:
    """Aware (with a UTC offset) and between 1970 and 9000."""
    name = path[-1]
    if value is None:
        return []
    if value.tzinfo is None or value.utcoffset() is None:
        return [invalid(path, f"{name} needs a UTC offset.")]
    # Compared on the naive UTC wall clock, which cannot overflow at the ends of the range.
    offset = value.utcoffset()
    assert offset is not None
    naive = value.replace(tzinfo=None)
    low = MIN_TIMESTAMP.replace(tzinfo=None) + offset
    high = MAX_TIMESTAMP.replace(tzinfo=None) + offset
    if not low <= naive < high:
        return [invalid(path, f"{name} must be between 1970 and 9000.")]
    return []
