"""Unique violations are the loser of a race, not a server fault.

Handlers check that a handle or code is free before inserting, but two requests can both
pass that check; the database's unique constraint then refuses the second insert. The
unit of work turns that refusal into the userError the check would have given.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from domain.errors import DomainError, ErrorCode, FieldError, duplicate

# "table.column" of each unique constraint -> (input path, what it names).
UNIQUE_INPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "products.handle": (("input", "handle"), "handle"),
    "variants.sku": (("input", "variants"), "SKU"),
    "channels.code": (("input", "code"), "channel code"),
    "categories.code": (("input", "code"), "category code"),
    "locations.code": (("input", "code"), "location code"),
    "promotions.coupon_code": (("input", "couponCode"), "coupon code"),
}
_BY_CONSTRAINT = {"uq_" + key.replace(".", "_"): key for key in UNIQUE_INPUTS}
_SQLITE_PREFIX = "UNIQUE constraint failed: "


def violated_key(error: IntegrityError) -> str | None:
    """'table.column' (or the constraint's name) of a unique violation; None otherwise."""
    original: BaseException | None = error.orig
    if original is None:
        return None
    if getattr(original, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        name = str(getattr(original.__cause__, "constraint_name", "") or "")
        return _BY_CONSTRAINT.get(name, name or "unknown")
    message = str(original)
    if message.startswith(_SQLITE_PREFIX):
        return message.removeprefix(_SQLITE_PREFIX).split(",")[0].strip()
    return None


def as_user_error(error: BaseException) -> DomainError | None:
    """The DomainError for a unique violation, None for anything else."""
    if not isinstance(error, IntegrityError):
        return None
    key = violated_key(error)
    if key is None:
        return None
    known = UNIQUE_INPUTS.get(key)
    if known is not None:
        path, what = known
        return DomainError([duplicate(path, f"That {what} was taken by a concurrent request.")])
    return DomainError(
        [
            FieldError(
                (),
                ErrorCode.CONFLICT,
                "A concurrent request changed the same records; send it again.",
            )
        ]
    )
