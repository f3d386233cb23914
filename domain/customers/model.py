"""Customers: shoppers known by their e-mail address.

A customer is created (or found) at checkout by e-mail; an e-mail identifies one customer
whatever its spelling (`normalize_email`: trimmed, lower-cased). Customer tokens are bound
to that normalized address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import FieldError, invalid

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit
MAX_NAME_LENGTH = 200
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces or
# control characters. Deliverability is the mail system's question, not ours.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    email: str
    created_at: datetime
    name: str | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_errors(email: str, field: Sequence[str]) -> list[FieldError]:
    normalized = normalize_email(email)
    if len(normalized) > MAX_EMAIL_LENGTH or not _EMAIL.match(normalized):
        return [invalid(field, "Give a valid e-mail address.")]
    return []
