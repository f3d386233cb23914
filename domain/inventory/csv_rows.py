"""One row of an inventory count file -> a `SetUpdate`, or the reason it cannot be one.

The file format (header on line 1, columns in any order):

    sku,location,on_hand,as_of[,unsellable][,safety_stock]

`as_of` is ISO 8601 with a UTC offset; an empty optional column keeps the current value.
Pure functions, no I/O: the streaming loop lives in `csv_ingest`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.errors import FieldError, invalid
from domain.inventory.ingest import SetUpdate
from domain.validation import quantity, timestamp

REQUIRED = ("sku", "location", "on_hand", "as_of")
OPTIONAL = ("unsellable", "safety_stock")
COLUMNS = REQUIRED + OPTIONAL
# Digits only: int() would also take "1_000", " +5" or "٣", none of which a count file means.
_WHOLE = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 12

# csv.DictReader puts surplus cells under the key None and fills missing ones with None
# (keys are str | None; Any because Mapping is invariant in its key type).
Row = Mapping[Any, object]


def line_path(line: int, column: str | None = None) -> tuple[str, ...]:
    """Where a problem is: ("file", "line", "<N>", "<column>"), column omitted for the whole row."""
    path = ("file", "line", str(line))
    return path if column is None else (*path, column)


def check_header(names: Sequence[str] | None) -> list[FieldError]:
    """The header must name every required column once and nothing unknown."""
    if not names:
        return [invalid(("file",), f"The file is empty; expected the header {','.join(REQUIRED)}.")]
    errors: list[FieldError] = []
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        errors.append(invalid(line_path(1), f"Missing column(s): {', '.join(missing)}."))
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        errors.append(
            invalid(
                line_path(1),
                f"Unknown column(s): {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(COLUMNS)}.",
            )
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        errors.append(invalid(line_path(1), f"Repeated column(s): {', '.join(repeated)}."))
    return errors


def parse_row(line: int, row: Row) -> SetUpdate | FieldError:
    """Parse one data row; the first problem found is reported against its column."""
    surplus = row.get(None)
    if surplus is not None or any(value is None for value in row.values()):
        found = sum(1 for key, value in row.items() if key is not None and value is not None)
        found += len(surplus) if isinstance(surplus, list) else 0
        expected = sum(1 for key in row if key is not None)
        return invalid(line_path(line), f"Expected {expected} columns, got {found}.")
    cells = {str(key): str(value).strip() for key, value in row.items()}
    for name in ("sku", "location"):
        if not cells[name]:
            return invalid(line_path(line, name), f"{name} must not be empty.")
    on_hand = _count(cells["on_hand"], line, "on_hand", required=True)
    if isinstance(on_hand, FieldError):
        return on_hand
    optional: dict[str, int | None] = {}
    for name in OPTIONAL:
        value = _count(cells.get(name, ""), line, name, required=False)
        if isinstance(value, FieldError):
            return value
        optional[name] = value
    as_of = _timestamp(cells["as_of"], line)
    if isinstance(as_of, FieldError):
        return as_of
    assert on_hand is not None  # required=True never returns None
    return SetUpdate(
        sku=cells["sku"],
        location=cells["location"],
        on_hand=on_hand,
        as_of=as_of,
        unsellable=optional["unsellable"],
        safety_stock=optional["safety_stock"],
    )


def _count(text: str, line: int, name: str, *, required: bool) -> int | FieldError | None:
    if not text:
        return invalid(line_path(line, name), f"{name} is required.") if required else None
    if not _WHOLE.fullmatch(text) or len(text.lstrip("-")) > _MAX_DIGITS:
        return invalid(line_path(line, name), f"{name} must be a whole number, got {text!r}.")
    problems = quantity(int(text), line_path(line, name))
    return problems[0] if problems else int(text)


def _timestamp(text: str, line: int) -> datetime | FieldError:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return invalid(
            line_path(line, "as_of"),
            f"as_of must be an ISO 8601 date-time with offset, got {text!r}.",
        )
    if value.tzinfo is None:
        return invalid(
            line_path(line, "as_of"),
            f"as_of needs a UTC offset (e.g. 2025-01-31T18:00:00Z), got {text!r}.",
        )
    problems = timestamp(value, line_path(line, "as_of"))
    return problems[0] if problems else value
