"""Pickup codes and expiry.

A code is 6 random digits (secrets), shown to the shopper and typed by the store at handover.
Checks compare in constant time; after MAX_PICKUP_ATTEMPTS wrong codes the fulfillment refuses
further tries until a new code is issued, so a million codes cannot be walked through the API.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

PICKUP_CODE_DIGITS = 6
MAX_PICKUP_ATTEMPTS = 5


def new_pickup_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return str(randbelow(10**PICKUP_CODE_DIGITS)).zfill(PICKUP_CODE_DIGITS)


def pickup_code_matches(expected: str | None, given: str) -> bool:
    if expected is None:
        return False
    typed = "".join(given.split())  # staff type "123 456" as often as "123456"
    return hmac.compare_digest(expected.encode(), typed.encode())


def pickup_expires_at(ready_at: datetime, hold_days: int) -> datetime:
    return ready_at + timedelta(days=hold_days)


def pickup_expired(ready_at: datetime | None, hold_days: int, now: datetime) -> bool:
    return ready_at is not None and now >= pickup_expires_at(ready_at, hold_days)
