"""Identifiers minted by the domain before anything is stored (orders, carts, customers).

Time-ordered (UUIDv7 layout, RFC 9562): 48 bits of milliseconds then 74 random bits. New
rows land at the right end of the primary-key index instead of on random pages, `ORDER BY
id DESC` lists newest first (pagination needs no second key), and the random part keeps an
id unguessable: a cart id works as a bearer capability for its storefront.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> str:
    millis = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (random >> 68) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= random & (2**62 - 1)  # 62 random bits (rand_b)
    # str(uuid.UUID(int=value)), without building the UUID (several per checkout)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def is_id(value: str) -> bool:
    """Whether `value` is an id this module could have minted (canonical UUID text)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
