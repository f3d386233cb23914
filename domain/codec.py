"""Explicit JSON encoding of events and requests, and decoding of events back into types.

One set of rules, used by the outbox (event payloads) and by idempotency (request hashes):
- str, int, bool and None as they are;
- Decimal as a string ("12.50"), never a float; NaN and infinities are refused;
- datetime as ISO 8601 with its offset; a naive datetime is refused (it names no instant);
- date as ISO 8601; an Enum by its value;
- dataclasses as objects of their fields, tuples and lists as arrays, sets as sorted arrays,
  mappings with string keys as objects.
Anything else (a float, an object) is a TypeError: money must not drift through a float and
an unknown type must not be stringified silently.

`canonical=True` (request hashes) makes equal requests encode equally: decimals normalised
("1.10" == "1.1"), datetimes in UTC, object keys sorted.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeAlias, TypeVar, Union, get_args, get_origin, get_type_hints

Json: TypeAlias = bool | int | str | list["Json"] | dict[str, "Json"] | None
T = TypeVar("T")


class CodecError(ValueError):
    """A payload that does not decode into the type asked for."""


def payload(event: object) -> dict[str, Json]:
    """The outbox payload of an event (or any dataclass): its fields, encoded."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"{event!r} is not a dataclass instance")
    # Plain values inline: a batch of counts encodes hundreds of events of four fields.
    encoded: dict[str, Json] = {}
    for name in _field_names(type(event)):
        value = getattr(event, name)
        encoded[name] = value if type(value) in _PLAIN else encode(value)
    return encoded


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() rebuilds its tuple per call; a class's fields never change.
    return tuple(f.name for f in dataclasses.fields(cls))


# Exact types that encode as themselves (not their subclasses: an Enum may derive from str
# or int and encodes by its value).
_PLAIN = frozenset({str, int, bool, type(None)})


def canonical_json(value: object) -> str:
    """Compact, key-sorted JSON of the canonical encoding: equal requests, equal text."""
    return json.dumps(
        encode(value, canonical=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def request_hash(request: object) -> str:
    """SHA-256 (hex) of a request's canonical JSON: what an idempotency key remembers."""
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def encode(value: object, *, canonical: bool = False) -> Json:
    if type(value) in _PLAIN:
        return value  # type: ignore[return-value]
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, Enum):
        return encode(value.value, canonical=canonical)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return _decimal(value, canonical)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"naive datetime {value!r}: give it a UTC offset")
        return (value.astimezone(UTC) if canonical else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            name: encode(getattr(value, name), canonical=canonical)
            for name in _field_names(type(value))
        }
    if isinstance(value, Mapping):
        encoded: dict[str, Json] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping key {key!r} is not a string")
            encoded[key] = encode(item, canonical=canonical)
        return encoded
    if isinstance(value, list | tuple):
        return [encode(item, canonical=canonical) for item in value]
    if isinstance(value, set | frozenset):
        items = [encode(item, canonical=canonical) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, float):
        raise TypeError(f"float {value!r}: use Decimal (money) or int")
    raise TypeError(f"cannot encode {type(value).__name__} {value!r}")


def _decimal(value: Decimal, canonical: bool) -> str:
    if not value.is_finite():
        raise TypeError(f"non-finite Decimal {value!r}")
    if not canonical:
        return str(value)
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def decode(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass (an event read from the bus) from its encoded payload.

    The field types must be importable at runtime in the dataclass's module (not only
    under TYPE_CHECKING): they are read with `typing.get_type_hints`.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _decode(hints[f.name], data[f.name], f.name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise CodecError(f"{cls.__name__}: missing field {f.name!r}")
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # Resolving a class's annotations costs ~1 ms; a feed decodes the same few event
    # classes for every subscriber of every event.
    return get_type_hints(cls)


def _decode(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Union or origin is types.UnionType:
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        if value is None and len(options) < len(get_args(tp)):
            return None
        if len(options) != 1:
            raise TypeError(f"{where}: cannot decode the union {tp!r}")
        return _decode(options[0], value, where)
    if origin in (tuple, list, set, frozenset):
        if not isinstance(value, list):
            raise CodecError(f"{where}: expected an array, got {value!r}")
        args = get_args(tp)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise CodecError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_decode(a, v, where) for a, v in zip(args, value, strict=True))
        item_type = args[0] if args else Any
        return origin(_decode(item_type, v, where) for v in value)
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, dict):
            raise CodecError(f"{where}: expected an object, got {value!r}")
        item_type = get_args(tp)[1] if get_args(tp) else Any
        return {k: _decode(item_type, v, where) for k, v in value.items()}
    if isinstance(tp, type):
        return _decode_scalar(tp, value, where)
    raise TypeError(f"{where}: cannot decode {tp!r}")


def _decode_scalar(tp: type, value: Any, where: str) -> Any:
    try:
        if issubclass(tp, Enum):
            return tp(value)
        if dataclasses.is_dataclass(tp):
            return decode(tp, value)
        if tp is bool or tp is str:
            if not isinstance(value, tp):
                raise CodecError(f"expected {tp.__name__}, got {value!r}")
            return value
        if tp is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise CodecError(f"expected int, got {value!r}")
            return value
        if tp is Decimal:
            if not isinstance(value, str):
                raise CodecError(f"expected a decimal string, got {value!r}")
            return Decimal(value)
        if tp is datetime:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise CodecError(f"expected a datetime with an offset, got {value!r}")
            return moment
        if tp is date:
            return date.fromisoformat(value)
    except (ValueError, TypeError, InvalidOperation) as error:
        raise CodecError(f"{where}: {error}") from error
    raise TypeError(f"{where}: cannot decode type {tp.__name__}")
