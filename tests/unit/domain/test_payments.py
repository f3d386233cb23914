"""Payments: the built-in test gateway, status rules, capture on shipment, void on cancel,
refund after capture."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.orders.billing import piece, piece_charge
from domain.orders.care import appease, cancel_line, cancel_order
from domain.orders.effects import Capture, Refund, ReleaseAuthorization
from domain.orders.fulfillment_ops import accept, pack, pick, ship
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.model import OrderLine
from domain.orders.pricing import PricingLine, price_lines
from domain.orders.tax import TaxRule, TaxTable
from domain.payments.builtin_gateway import TestGateway
from domain.payments.events import (
    PaymentCaptured,
    PaymentEvent,
    PaymentRefunded,
    PaymentVoided,
)
from domain.payments.model import (
    Payment,
    PaymentStatus,
    authorized_payment,
    looks_like_card_number,
    payment_input_errors,
    payment_status,
    record_capture,
    record_refund,
    record_void,
)
from domain.payments.ports import GatewayOutcome, GatewayResult, PaymentGateway
from tests.unit.domain.order_factories import LILLE, LYON, T0, later, order_with, settle

D = Decimal
OK = GatewayResult(GatewayOutcome.APPROVED, "test_tx")
GATEWAY: PaymentGateway = TestGateway()  # mypy proves the built-in gateway fits the port


def status(p: Payment) -> PaymentStatus:
    """Read afresh, so mypy does not narrow it across operations."""
    return p.status


def payment(amount: str = "100.00") -> Payment:
    return authorized_payment("p1", "o1", "test", "EUR", D(amount), OK, T0)


def test_the_test_gateway_approves_tok_ok_and_declines_tok_declined() -> None:
    approved = asyncio.run(GATEWAY.authorize("tok_ok", D("10.00"), "EUR", "order-1"))
    declined = asyncio.run(GATEWAY.authorize("tok_declined", D("10.00"), "EUR", "order-2"))
    failed = asyncio.run(GATEWAY.authorize("tok_error", D("10.00"), "EUR", "order-3"))
    unknown = asyncio.run(GATEWAY.authorize("tok_whatever", D("10.00"), "EUR", "order-4"))
    assert approved.outcome is GatewayOutcome.APPROVED
    assert (declined.outcome, declined.code) == (GatewayOutcome.DECLINED, "card_declined")
    assert failed.outcome is GatewayOutcome.FAILED
    assert (unknown.outcome, unknown.code) == (GatewayOutcome.DECLINED, "invalid_token")


def test_the_test_gateway_gives_the_same_id_for_the_same_idempotency_key() -> None:
    first = asyncio.run(GATEWAY.authorize("tok_ok", D("10.00"), "EUR", "order-1"))
    again = asyncio.run(GATEWAY.authorize("tok_ok", D("10.00"), "EUR", "order-1"))
    other = asyncio.run(GATEWAY.authorize("tok_ok", D("10.00"), "EUR", "order-2"))
    assert first.reference == again.reference != other.reference
    assert first.reference.startswith("test_auth_")


def test_the_test_gateway_follows_up_only_on_its_own_authorizations() -> None:
    auth = asyncio.run(GATEWAY.authorize("tok_ok", D("10.00"), "EUR", "k")).reference
    assert asyncio.run(GATEWAY.capture(auth, D("4.00"), "EUR", "k:c1")).approved
    assert asyncio.run(GATEWAY.refund(auth, D("1.00"), "EUR", "k:r1")).approved
    assert asyncio.run(GATEWAY.void(auth, "k:v")).approved
    assert not asyncio.run(GATEWAY.capture("pi_elsewhere", D("4.00"), "EUR", "k:c2")).approved
    assert not asyncio.run(GATEWAY.capture(auth, D("0"), "EUR", "k:c3")).approved


def test_a_declined_authorization_is_a_payment_declined_user_error() -> None:
    declined = asyncio.run(GATEWAY.authorize("tok_declined", D("10.00"), "EUR", "order-9"))
    with pytest.raises(DomainError) as raised:
        authorized_payment("p1", "o1", "test", "EUR", D("10.00"), declined, T0)
    assert [(e.field, e.code) for e in raised.value.errors] == [
        (("input", "payment"), ErrorCode.PAYMENT_DECLINED)
    ]


def test_card_numbers_and_unknown_gateways_are_refused_before_any_call() -> None:
    gateways = {"test": GATEWAY}
    assert payment_input_errors("test", "tok_ok", gateways) == []
    pan = payment_input_errors("test", "4242 4242 4242 4242", gateways)
    assert [(e.field, e.code) for e in pan] == [(("input", "payment", "token"), ErrorCode.INVALID)]
    assert "4242" not in pan[0].message
    assert [e.field for e in payment_input_errors("stripe", "", gateways)] == [
        ("input", "payment", "gateway"),
        ("input", "payment", "token"),
    ]
    assert looks_like_card_number("4000-0566-5566-5556")
    assert not looks_like_card_number("4242 4242 4242 4241")  # fails the Luhn check
    assert not looks_like_card_number("tok_4242424242424242")


@pytest.mark.parametrize(
    ("authorized", "captured", "refunded", "declined", "voided", "status"),
    [
        ("10", "0", "0", True, False, PaymentStatus.DECLINED),
        ("10", "0", "0", False, False, PaymentStatus.AUTHORIZED),
        ("10", "0", "0", False, True, PaymentStatus.VOIDED),
        ("10", "4", "0", False, False, PaymentStatus.CAPTURED),
        ("10", "10", "0", False, False, PaymentStatus.CAPTURED),
        ("10", "10", "3", False, False, PaymentStatus.PARTIALLY_REFUNDED),
        ("10", "10", "10", False, False, PaymentStatus.REFUNDED),
        ("10", "4", "4", False, False, PaymentStatus.REFUNDED),
    ],
)
def test_payment_status_rules(
    authorized: str,
    captured: str,
    refunded: str,
    declined: bool,
    voided: bool,
    status: PaymentStatus,
) -> None:
    assert payment_status(D(authorized), D(captured), D(refunded), declined, voided) is status


def test_capture_refund_and_release_move_the_status_and_raise_events() -> None:
    p = payment("100.00")
    record_capture(p, D("60.00"), OK, T0)
    assert (p.status, p.capturable, p.refundable) == (
        PaymentStatus.CAPTURED,
        D("40.00"),
        D("60.00"),
    )
    record_refund(p, D("10.00"), OK, T0)
    assert status(p) is PaymentStatus.PARTIALLY_REFUNDED
    record_void(p, OK, T0)  # release the 40 nobody will capture
    assert (p.status, p.capturable, p.closed) == (PaymentStatus.PARTIALLY_REFUNDED, D(0), True)
    record_refund(p, D("50.00"), OK, T0)
    assert status(p) is PaymentStatus.REFUNDED
    assert [type(e) for e in p.events] == [
        PaymentCaptured,
        PaymentRefunded,
        PaymentVoided,
        PaymentRefunded,
    ]
    assert [str(e.amount) for e in p.events if isinstance(e, PaymentEvent)] == [
        "60.00",
        "10.00",
        "40.00",
        "50.00",
    ]


def test_a_void_before_any_capture_voids_the_payment_and_nothing_more_can_happen() -> None:
    p = payment()
    record_void(p, OK, T0)
    assert p.status is PaymentStatus.VOIDED
    attempts: list[Callable[[], None]] = [
        lambda: record_capture(p, D("1.00"), OK, T0),
        lambda: record_refund(p, D("1.00"), OK, T0),
        lambda: record_void(p, OK, T0),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError):
            attempt()
    assert (p.captured, p.refunded) == (D(0), D(0))


def test_captures_never_exceed_the_authorization_nor_refunds_the_capture() -> None:
    p = payment("10.00")
    with pytest.raises(DomainError) as over:
        record_capture(p, D("10.01"), OK, T0)
    assert [e.code for e in over.value.errors] == [ErrorCode.INVALID_TRANSITION]
    record_capture(p, D("10.00"), OK, T0)
    with pytest.raises(DomainError) as too_much:
        record_refund(p, D("10.01"), OK, T0)
    assert [e.code for e in too_much.value.errors] == [ErrorCode.INVALID]
    assert (p.captured, p.refunded) == (D("10.00"), D(0))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["capture", "refund", "void"]),
            st.decimals(min_value=D("0.01"), max_value=D("80"), places=2),
        ),
        max_size=10,
    )
)
def test_any_sequence_keeps_refunded_within_captured_within_authorized(
    steps: list[tuple[str, Decimal]],
) -> None:
    p = payment("100.00")
    for kind, amount in steps:
        try:
            if kind == "capture":
                record_capture(p, amount, OK, T0)
            elif kind == "refund":
                record_refund(p, amount, OK, T0)
            else:
                record_void(p, OK, T0)
        except DomainError:
            pass
        assert D(0) <= p.refunded <= p.captured <= p.authorized
        assert p.status is payment_status(
            p.authorized, p.captured, p.refunded, p.declined, p.voided
        )
        assert p.capturable >= 0


def test_each_shipment_captures_its_share_and_the_shares_add_up_to_the_total() -> None:
    # given 3 x A split over Lyon (2) and Lille (1), paid by card
    order, placed = order_with([("A", 3)], {("A", LYON.id): 2, ("A", LILLE.id): 1})
    settle(order, placed)
    assert order.payment is not None
    assert order.payment.status is PaymentStatus.AUTHORIZED
    captures = []
    for f in order.fulfillments:
        for op in (accept, pick, pack):
            settle(order, op(order, f.id, later(1), "staff"))
        effects = settle(order, ship(order, f.id, "DHL", f"T{f.id}", later(2), "staff"))
        captures += [p.amount for p in effects.payments if isinstance(p, Capture)]
    # then the captures are proportional to the units, shipping on the first parcel
    line = order.lines[0]
    first_units = order.fulfillments[0].units
    assert captures[0] == round(line.charge * first_units / 3, 2) + order.totals.shipping_charge
    assert sum(captures) == order.totals.total
    assert status(order.payment) is PaymentStatus.CAPTURED
    assert order.payment.capturable == D(0)


def test_cancel_before_capture_voids_and_a_partial_cancel_captures_less() -> None:
    order, placed = order_with([("A", 2)], {("A", LYON.id): 2})
    settle(order, placed)
    fid = order.fulfillments[0].id
    settle(order, cancel_line(order, order.lines[0].id, 1, "one is enough", later(1), "care"))
    for op in (accept, pick, pack):
        settle(order, op(order, fid, later(2), "staff"))
    shipped = settle(order, ship(order, fid, "DHL", "T1", later(3), "staff"))
    # then one unit's share and shipping are captured, and the rest of the authorization released
    line = order.lines[0]
    assert shipped.payments == [
        Capture(round(line.charge / 2, 2) + order.totals.shipping_charge, fid),
        ReleaseAuthorization(),
    ]
    assert order.payment is not None
    assert status(order.payment) is PaymentStatus.CAPTURED
    # and a whole order cancelled before shipment is voided
    other, placed = order_with([("A", 2)], {("A", LYON.id): 2})
    settle(other, placed)
    settle(other, cancel_order(other, "fraud", later(1), "care"))
    assert other.payment is not None
    assert other.payment.status is PaymentStatus.VOIDED


def test_appeasement_after_capture_is_a_refund() -> None:
    order, placed = order_with([("A", 1)], {("A", LYON.id): 1})
    settle(order, placed)
    fid = order.fulfillments[0].id
    for op in (accept, pick, pack):
        settle(order, op(order, fid, later(1), "staff"))
    settle(order, ship(order, fid, "DHL", "T1", later(2), "staff"))
    effects = settle(order, appease(order, D("3.00"), "scratched box", later(3), "care:bob"))
    assert effects.payments == [Refund(D("3.00"), "scratched box")]
    assert order.payment is not None
    assert (order.payment.status, order.payment.refunded) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        D("3.00"),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=D("0.01"), max_value=D("500"), places=2),
    st.integers(1, 40),
    st.decimals(min_value=0, max_value=D("9000"), places=2),
    st.sampled_from([D(0), D("0.055"), D("0.2")]),
    st.booleans(),
    st.lists(st.integers(1, 10), min_size=1, max_size=8),
)
def test_deliveries_of_any_sizes_charge_exactly_the_line(
    price: Decimal,
    quantity: int,
    discount: Decimal,
    rate: Decimal,
    inclusive: bool,
    sizes: list[int],
) -> None:
    # given a priced line delivered in parcels of any sizes
    taxes = TaxTable(prices_include_tax=inclusive, rules=(TaxRule("FR", rate),))
    totals = price_lines(
        [PricingLine("1", "A", quantity, price)],
        currency="EUR",
        taxes=taxes,
        destination_country="FR",
        line_discounts={"1": discount},
    )
    p = totals.lines[0]
    line = OrderLine(
        "1",
        "A",
        quantity,
        FulfillmentMethod.SHIP,
        None,
        price,
        p.discount,
        p.total,
        p.tax,
        p.charge,
    )
    pieces, shipped = [], 0
    for size in [*sizes, quantity]:
        count = min(size, quantity - shipped)
        if count:
            pieces.append(piece(line, shipped, count, "EUR"))
            shipped += count
    # then gross, discount, tax and charge of the pieces add up to the line's, none negative
    assert sum(x.gross for x in pieces) == p.subtotal
    assert sum(x.discount for x in pieces) == p.discount
    assert sum(x.tax for x in pieces) == p.tax
    assert sum(piece_charge(x, inclusive) for x in pieces) == p.charge
    assert all(min(x.gross, x.discount, x.tax) >= 0 for x in pieces)
