"""Return rules: what may come back, where, how it is received, and refunding only once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode, FieldError
from domain.locations.model import LocationKind
from domain.returns.model import (
    Disposition,
    ExchangeLine,
    OrderLineSnapshot,
    OrderSnapshot,
    Return,
    ReturnLocation,
    ReturnStatus,
    accepts_returns_by_default,
    can_transition,
    claimed_units,
)
from domain.returns.rules import (
    CreateReturn,
    ReceiptLine,
    ReceiveReturn,
    ReturnLineRequest,
    ensure_refundable,
    mark_refunded,
    new_return,
    receive,
    receive_return,
    request_return,
    returnable_units,
    validate_receipt,
    validate_return_request,
)

AT = datetime(2025, 3, 1, tzinfo=UTC)
D = Decimal
STORE = ReturnLocation("store-1", accepts_returns=True)
LOCKER = ReturnLocation("locker-9", accepts_returns=False)


def order(shipped_a: int = 3, shipped_b: int = 0) -> OrderSnapshot:
    return OrderSnapshot(
        number="R-1001",
        currency="USD",
        lines=(
            OrderLineSnapshot("a", "TEE", 3, shipped_a, D("60.00"), D("6.00"), D("4.80")),
            OrderLineSnapshot("b", "CAP", 2, shipped_b, D("30.00"), D("0.00"), D("2.40")),
        ),
    )


def request(
    *lines: tuple[str, int], location: str | None = "store-1", **kw: object
) -> CreateReturn:
    requests = tuple(ReturnLineRequest(line_id, qty, "too small") for line_id, qty in lines)
    return replace(CreateReturn("R-1001", requests, location), **kw)  # type: ignore[arg-type]


def codes(errors: list[FieldError]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(e.field, e.code) for e in errors]


def requested_return(*lines: tuple[str, int]) -> Return:
    return new_return(order(), request(*lines), AT)


def test_a_shipped_line_can_be_returned_up_to_what_was_shipped() -> None:
    # given 3 units of line a shipped and none of line b
    assert validate_return_request(order(), [], request(("a", 3)), STORE) == []
    # when asking for 4 of a and 1 of b
    errors = validate_return_request(order(), [], request(("a", 4), ("b", 1)), STORE)
    # then both quantities are refused, each at its path
    assert codes(errors) == [
        (("input", "lines", "0", "quantity"), ErrorCode.INVALID),
        (("input", "lines", "1", "quantity"), ErrorCode.INVALID),
    ]
    assert "Only 3 unit(s) of TEE" in errors[0].message


def test_units_held_by_an_open_return_cannot_be_returned_again_but_rejected_ones_can() -> None:
    # given an open return of 2 units of line a
    held = requested_return(("a", 2))
    assert returnable_units(order().lines[0], [held]) == 1
    assert codes(validate_return_request(order(), [held], request(("a", 2)), STORE)) == [
        (("input", "lines", "0", "quantity"), ErrorCode.INVALID)
    ]
    # when that return is rejected, its units are free again
    rejected = held.to(ReturnStatus.REJECTED)
    assert returnable_units(order().lines[0], [rejected]) == 3


def test_a_received_return_holds_what_arrived_not_what_was_asked() -> None:
    held = requested_return(("a", 3))
    got = receive(held, ReceiveReturn("store-1", (ReceiptLine("a", 1, Disposition.RESTOCK),)))
    assert claimed_units([got], "a") == 1
    assert returnable_units(order().lines[0], [got]) == 2


def test_a_return_to_a_location_that_takes_no_returns_is_refused() -> None:
    errors = validate_return_request(order(), [], request(("a", 1), location="locker-9"), LOCKER)
    assert codes(errors) == [(("input", "location"), ErrorCode.INVALID)]
    unknown = validate_return_request(order(), [], request(("a", 1), location="nowhere"), None)
    assert codes(unknown) == [(("input", "location"), ErrorCode.NOT_FOUND)]
    # mail-back: no location given
    assert validate_return_request(order(), [], request(("a", 1), location=None), None) == []


def test_default_return_acceptance_by_location_kind() -> None:
    assert accepts_returns_by_default(LocationKind.STORE)
    assert accepts_returns_by_default(LocationKind.WAREHOUSE)
    assert not accepts_returns_by_default(LocationKind.DROPSHIP_VENDOR)
    assert not accepts_returns_by_default(LocationKind.LOCKER)


def test_unknown_duplicate_empty_and_reasonless_lines() -> None:
    cmd = CreateReturn(
        "R-1001",
        (
            ReturnLineRequest("zz", 1, "x"),
            ReturnLineRequest("a", 1, " "),
            ReturnLineRequest("a", 1, "again"),
            ReturnLineRequest("b", 0, "none"),
        ),
    )
    assert codes(validate_return_request(order(shipped_b=2), [], cmd, None)) == [
        (("input", "lines", "0", "orderLineId"), ErrorCode.NOT_FOUND),
        (("input", "lines", "1", "reason"), ErrorCode.INVALID),
        (("input", "lines", "2", "orderLineId"), ErrorCode.DUPLICATE),
        (("input", "lines", "3", "quantity"), ErrorCode.INVALID),
    ]
    assert codes(validate_return_request(order(), [], request(), STORE)) == [
        (("input", "lines"), ErrorCode.INVALID)
    ]


def test_an_exchange_replaces_at_most_the_returned_units_of_a_returned_line() -> None:
    fine = request(("a", 2), exchange_lines=(ExchangeLine("a", "TEE-L", 2),))
    assert validate_return_request(order(), [], fine, STORE) == []
    too_many = request(("a", 1), exchange_lines=(ExchangeLine("a", "TEE-L", 2),))
    other_line = request(("a", 1), exchange_lines=(ExchangeLine("b", "CAP-L", 1),))
    assert codes(validate_return_request(order(), [], too_many, STORE)) == [
        (("input", "exchangeSkus", "0", "quantity"), ErrorCode.INVALID)
    ]
    assert codes(validate_return_request(order(), [], other_line, STORE)) == [
        (("input", "exchangeSkus", "0", "orderLineId"), ErrorCode.INVALID)
    ]


def test_a_return_is_received_once_with_no_more_than_requested() -> None:
    held = requested_return(("a", 2))
    too_many = ReceiveReturn("store-1", (ReceiptLine("a", 3, Disposition.RESTOCK),))
    assert codes(validate_receipt(held, too_many, STORE)) == [
        (("lines", "0", "quantity"), ErrorCode.INVALID)
    ]
    nothing = ReceiveReturn("store-1", (ReceiptLine("a", 0, Disposition.RESTOCK),))
    assert codes(validate_receipt(held, nothing, STORE)) == [(("lines",), ErrorCode.INVALID)]
    elsewhere = ReceiveReturn("locker-9", (ReceiptLine("a", 1, Disposition.DISCARD),))
    assert codes(validate_receipt(held, elsewhere, LOCKER)) == [(("location",), ErrorCode.INVALID)]
    good = ReceiveReturn("store-1", (ReceiptLine("a", 2, Disposition.DISCARD),))
    assert validate_receipt(held, good, STORE) == []
    got = receive(held, good)
    assert got.status is ReturnStatus.RECEIVED
    assert got.lines[0].disposition is Disposition.DISCARD
    assert got.received_at_location == "store-1"
    assert codes(validate_receipt(got, good, STORE)) == [(("id",), ErrorCode.INVALID_TRANSITION)]


def test_refunding_twice_is_impossible() -> None:
    # given a received return
    got = receive(
        requested_return(("a", 1)),
        ReceiveReturn("store-1", (ReceiptLine("a", 1, Disposition.RESTOCK),)),
    )
    # when it is refunded
    refunded = mark_refunded(got, D("19.60"))
    assert (refunded.status, refunded.refund) == (ReturnStatus.REFUNDED, D("19.60"))
    # then a second refund is refused, and so is one after closing
    for again in (refunded, refunded.to(ReturnStatus.CLOSED)):
        with pytest.raises(DomainError) as caught:
            ensure_refundable(again)
        assert codes(caught.value.errors) == [(("id",), ErrorCode.INVALID_TRANSITION)]
        assert "already been refunded" in caught.value.errors[0].message


def test_a_return_is_refunded_only_after_it_is_received() -> None:
    with pytest.raises(DomainError) as caught:
        ensure_refundable(requested_return(("a", 1)))
    assert "receive it first" in caught.value.errors[0].message


def test_the_status_machine() -> None:
    s = ReturnStatus
    assert can_transition(s.REQUESTED, s.RECEIVED)
    assert can_transition(s.REQUESTED, s.REJECTED)
    assert can_transition(s.RECEIVED, s.REFUNDED)
    assert not can_transition(s.REJECTED, s.RECEIVED)
    assert not can_transition(s.REFUNDED, s.REFUNDED)
    assert not any(can_transition(s.CLOSED, target) for target in s)
    with pytest.raises(DomainError):
        requested_return(("a", 1)).to(s.REFUNDED)


def test_request_and_receive_raise_domain_errors_and_change_nothing() -> None:
    with pytest.raises(DomainError) as caught:
        request_return(order(), [], request(("a", 9)), STORE, AT)
    assert codes(caught.value.errors) == [(("input", "lines", "0", "quantity"), ErrorCode.INVALID)]
    held = request_return(order(), [], request(("a", 1)), STORE, AT)
    bad = ReceiveReturn("locker-9", (ReceiptLine("a", 1, Disposition.RESTOCK),))
    with pytest.raises(DomainError):
        receive_return(held, bad, LOCKER)
    assert held.status is ReturnStatus.REQUESTED
    good = ReceiveReturn("store-1", (ReceiptLine("a", 1, Disposition.RESTOCK),))
    assert receive_return(held, good, STORE).status is ReturnStatus.RECEIVED
