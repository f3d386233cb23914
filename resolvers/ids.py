"""Opaque, stable global IDs and cursors (base64url of `Type:key`)."""

from __future__ import annotations

import base64
import binascii


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def global_id(type_name: str, key: int | str) -> str:
    return _encode(f"{type_name}:{key}")


def parse_global_id(value: str) -> tuple[str, str] | None:
    text = _decode(value)
    if text is None or ":" not in text:
        return None
    type_name, _, key = text.partition(":")
    return (type_name, key) if type_name and key else None


def parse_int_id(value: str, expected_type: str) -> int | None:
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != expected_type or not parsed[1].isdigit():
        return None
    return int(parsed[1])


def cursor(*keys: int) -> str:
    return _encode("c:" + ".".join(str(k) for k in keys))


def parse_cursor(value: str | None, parts: int = 1) -> tuple[int, ...] | None:
    """None for no cursor; raises ValueError for a malformed one."""
    if value is None:
        return None
    text = _decode(value)
    if text is None or not text.startswith("c:"):
        raise ValueError("malformed cursor")
    pieces = text[2:].split(".")
    if len(pieces) != parts or not all(p.isdigit() for p in pieces):
        raise ValueError("malformed cursor")
    return tuple(int(p) for p in pieces)


def key_cursor(key: str) -> str:
    """A cursor over a text key (time-ordered ids: orders)."""
    return _encode("k:" + key)


def parse_key_cursor(value: str | None) -> str | None:
    """None for no cursor; raises ValueError for a malformed one."""
    if value is None:
        return None
    text = _decode(value)
    if text is None or not text.startswith("k:") or len(text) < 3:
        raise ValueError("malformed cursor")
    return text[2:]
