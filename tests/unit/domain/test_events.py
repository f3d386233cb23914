"""Events and their encoding: what goes into an outbox row, and what comes back out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.codec import CodecError, canonical_json, decode, encode, payload, request_hash
from domain.events import DomainEvent, RaisedEvents
from domain.inventory.events import AvailabilityChanged


class Status(Enum):
    OPEN = "open"
    SHIPPED = "shipped"


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample(DomainEvent):
    topic: ClassVar[str] = "samples"

    id: int
    status: Status
    total: Decimal
    at: datetime
    ship_by: date
    lines: tuple[Line, ...]
    tags: frozenset[str] = frozenset()
    note: str | None = None
    extra: dict[str, int] = field(default_factory=dict)


AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def sample(**changes: object) -> Sample:
    values: dict[str, object] = {
        "id": 7,
        "status": Status.SHIPPED,
        "total": Decimal("12.50"),
        "at": AT,
        "ship_by": date(2026, 3, 4),
        "lines": (Line("TEE", 2, Decimal("6.25")),),
        "tags": frozenset({"b", "a"}),
    }
    values.update(changes)
    return Sample(**values)  # type: ignore[arg-type]


def test_an_event_payload_spells_each_type_out_explicitly() -> None:
    assert payload(sample()) == {
        "id": 7,
        "status": "shipped",
        "total": "12.50",
        "at": "2026-03-02T09:30:00+01:00",
        "ship_by": "2026-03-04",
        "lines": [{"sku": "TEE", "quantity": 2, "price": "6.25"}],
        "tags": ["a", "b"],
        "note": None,
        "extra": {},
    }


def test_availability_changed_keeps_the_payload_the_subscription_reads() -> None:
    event = AvailabilityChanged(sku="TEE", channel="web", available=3, at=AT)
    assert event.topic == "availability"
    assert payload(event) == {
        "sku": "TEE",
        "channel": "web",
        "available": 3,
        "at": AT.isoformat(),
    }
    assert decode(AvailabilityChanged, payload(event)) == event


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        Decimal("NaN"),
        Decimal("Infinity"),
        datetime(2026, 3, 2, 9, 30),
        object(),
        {1: "not a string key"},
    ],
)
def test_what_would_lose_meaning_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        encode(value)


def test_decoding_refuses_a_payload_of_the_wrong_shape() -> None:
    good = payload(sample())
    with pytest.raises(CodecError):
        decode(Sample, {**good, "total": 12.5})
    with pytest.raises(CodecError):
        decode(Sample, {**good, "at": "2026-03-02T09:30:00"})  # no offset
    with pytest.raises(CodecError):
        decode(Sample, {**good, "status": "lost"})
    with pytest.raises(CodecError):
        decode(Sample, {k: v for k, v in good.items() if k != "id"})


def test_canonical_encoding_makes_equal_requests_equal() -> None:
    a = sample(total=Decimal("12.5"), at=AT)
    b = sample(total=Decimal("12.500"), at=AT.astimezone(UTC), tags=frozenset({"a", "b"}))
    assert canonical_json(a) == canonical_json(b)
    assert request_hash(a) == request_hash(b)
    assert request_hash(a) != request_hash(sample(total=Decimal("12.51")))
    assert request_hash({"n": Decimal("0.00")}) == request_hash({"n": Decimal("-0")})
    assert request_hash({"n": Decimal("100")}) == request_hash({"n": Decimal("1E+2")})


decimals = st.decimals(allow_nan=False, allow_infinity=False, places=4)
moments = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))


@given(
    id=st.integers(),
    status=st.sampled_from(Status),
    total=decimals,
    at=moments,
    ship_by=st.dates(),
    lines=st.lists(st.builds(Line, st.text(), st.integers(), decimals), max_size=3),
    tags=st.frozensets(st.text(max_size=5), max_size=4),
    note=st.none() | st.text(),
    extra=st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
def test_every_event_survives_the_outbox(
    id: int,
    status: Status,
    total: Decimal,
    at: datetime,
    ship_by: date,
    lines: list[Line],
    tags: frozenset[str],
    note: str | None,
    extra: dict[str, int],
) -> None:
    event = Sample(
        id=id,
        status=status,
        total=total,
        at=at,
        ship_by=ship_by,
        lines=tuple(lines),
        tags=tags,
        note=note,
        extra=extra,
    )
    assert decode(Sample, payload(event)) == event


def test_raised_events_keep_their_order_and_refuse_what_is_not_an_event() -> None:
    raised = RaisedEvents()
    first, second = sample(id=1), AvailabilityChanged(sku="A", channel="c", available=0, at=AT)
    raised.add(first)
    raised.add(second)
    assert list(raised) == [first, second]
    assert raised.take() == [first, second]
    assert len(raised) == 0

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Topicless(DomainEvent):
        n: int

    with pytest.raises(TypeError, match="no topic"):
        raised.add(Topicless(n=1))
    with pytest.raises(TypeError, match="not a DomainEvent"):
        raised.add({"topic": "x"})  # type: ignore[arg-type]
