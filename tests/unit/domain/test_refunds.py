"""Refund amounts: proration of discounts, tax and shipping, exact over any split of returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.money import minor_units, round_money
from domain.returns.model import (
    OrderLineSnapshot,
    OrderSnapshot,
    Return,
    ReturnLine,
    ReturnStatus,
)
from domain.returns.refunds import (
    compute_refund,
    exchange_difference,
    refund_for_return,
    settle_refund,
)

# Shared 2-core machines and CI: slow draws are load, not a bug.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = datetime(2025, 3, 1, tzinfo=UTC)
D = Decimal


def refunded_return(line_id: str, units: int, amount: Decimal = D("0")) -> Return:
    line = ReturnLine(line_id, "SKU", units, "r", received=units)
    return Return("R-1", ReturnStatus.REFUNDED, (line,), AT, refund=amount)


def shop_order() -> OrderSnapshot:
    return OrderSnapshot(
        number="R-1",
        currency="USD",
        lines=(
            OrderLineSnapshot("a", "TEE", 3, 3, D("11.00"), D("1.00"), D("0.80")),
            OrderLineSnapshot("b", "CAP", 1, 1, D("20.00"), D("0.00"), D("1.60")),
        ),
        shipping=D("5.00"),
        shipping_discount=D("1.00"),
        shipping_tax=D("0.32"),
        captured=D("36.72"),
    )


def test_a_returned_unit_gives_back_its_share_of_the_line_net_of_discount_with_tax() -> None:
    # given a line of 3 units for 11.00 less 1.00 of discount (10.00 net) and 0.80 tax
    # when the units come back one at a time
    order = shop_order()
    earlier: list[Return] = []
    pieces = []
    for _ in range(3):
        refund = compute_refund(order, {"a": 1}, earlier)
        pieces.append((refund.lines[0].gross - refund.lines[0].discount, refund.lines[0].tax))
        earlier.append(refunded_return("a", 1))
    # then each gets a third, and rounding never adds or loses a cent over the whole line
    assert pieces == [(D("3.33"), D("0.27")), (D("3.34"), D("0.26")), (D("3.33"), D("0.27"))]
    assert sum(p[0] for p in pieces) == D("10.00")
    assert sum(p[1] for p in pieces) == D("0.80")


def test_shipping_is_refunded_only_with_the_return_that_completes_the_order() -> None:
    order = shop_order()
    partial = compute_refund(order, {"a": 3}, [])
    assert partial.shipping == partial.shipping_discount == partial.shipping_tax == 0
    assert partial.total == D("10.80")
    last = compute_refund(order, {"b": 1}, [refunded_return("a", 3)])
    assert (last.shipping, last.shipping_discount, last.shipping_tax) == (
        D("5.00"),
        D("1.00"),
        D("0.32"),
    )
    # the two refunds add up to exactly what was captured
    assert partial.total + last.total == order.captured
    # not when the shipping was already refunded (a cancellation before shipping)
    again = compute_refund(replace(order, shipping_refunded=True), {"a": 3, "b": 1}, [])
    assert again.shipping == 0


def test_units_beyond_what_was_shipped_or_already_refunded_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot refund"):
        compute_refund(shop_order(), {"a": 2}, [refunded_return("a", 2)])
    with pytest.raises(ValueError, match="no order line"):
        compute_refund(shop_order(), {"zz": 1}, [])


def test_a_received_return_is_refunded_for_what_arrived() -> None:
    line = ReturnLine("a", "TEE", 3, "r", received=1)
    ret = Return("R-1", ReturnStatus.RECEIVED, (line,), AT)
    assert refund_for_return(shop_order(), ret, []).total == D("3.60")


def test_settlement_clears_what_is_owed_then_the_exchange_then_cash_then_goodwill() -> None:
    # the customer still owes 5.00: that goes first
    owed = settle_refund(D("20.00"), receivable_open=D("5.00"), refundable_cash=D("100"))
    assert (owed.receivable, owed.cash, owed.goodwill) == (D("5.00"), D("15.00"), D("0"))
    # an exchange order of 12.00 takes its price from the credit, the rest is cash
    swap = settle_refund(
        D("20.00"), receivable_open=D("0"), refundable_cash=D("100"), exchange_credit=D("12.00")
    )
    assert (swap.store_credit, swap.cash) == (D("12.00"), D("8.00"))
    # after a 15.00 appeasement of a 20.00 capture, only 5.00 can go back in cash
    capped = settle_refund(D("20.00"), receivable_open=D("0"), refundable_cash=D("5.00"))
    assert (capped.cash, capped.goodwill) == (D("5.00"), D("15.00"))


def test_an_exchange_charges_or_refunds_the_difference() -> None:
    dearer = exchange_difference(D("20.00"), D("25.50"))
    assert (dearer.charge, dearer.refund) == (D("5.50"), D("0.00"))
    cheaper = exchange_difference(D("20.00"), D("18.00"))
    assert (cheaper.charge, cheaper.refund) == (D("0.00"), D("2.00"))


# ---------------------------------------------------------------- properties


@st.composite
def orders(draw: st.DrawFn) -> OrderSnapshot:
    currency = draw(st.sampled_from(["USD", "JPY", "KWD"]))
    scale = minor_units(currency)

    def amount(high: int) -> Decimal:
        return Decimal(draw(st.integers(0, high))).scaleb(-scale)

    lines = []
    for i in range(draw(st.integers(1, 4))):
        units = draw(st.integers(1, 7))
        gross = amount(200_000)
        discount = min(gross, amount(50_000))
        lines.append(
            OrderLineSnapshot(f"l{i}", f"S{i}", units, units, gross, discount, amount(9_999))
        )
    shipping = amount(3_000)
    return OrderSnapshot(
        number="R-1",
        currency=currency,
        lines=tuple(lines),
        shipping=shipping,
        shipping_discount=min(shipping, amount(3_000)),
        shipping_tax=amount(300),
    )


def order_total(order: OrderSnapshot) -> Decimal:
    lines = sum((line.net + line.tax for line in order.lines), Decimal(0))
    return lines + order.shipping - order.shipping_discount + order.shipping_tax


@st.composite
def split_returns(draw: st.DrawFn) -> tuple[OrderSnapshot, list[dict[str, int]]]:
    """An order and a random sequence of returns, taking random units of random lines."""
    order = draw(orders())
    left = {line.line_id: line.units for line in order.lines}
    returns = []
    while any(left.values()) and draw(st.integers(0, 9)) > 0:
        pick = {line_id: draw(st.integers(0, units)) for line_id, units in left.items() if units}
        if sum(pick.values()) == 0:
            continue
        for line_id, units in pick.items():
            left[line_id] -= units
        returns.append(pick)
    return order, returns


def refund_all(order: OrderSnapshot, returns: list[dict[str, int]]) -> list[Decimal]:
    earlier: list[Return] = []
    totals = []
    for units in returns:
        refund = compute_refund(order, units, earlier)
        cur = order.currency
        for piece in refund.lines:
            for part in (piece.gross, piece.discount, piece.tax):
                assert part >= 0
                assert round_money(part, cur) == part
            assert piece.discount <= piece.gross
        totals.append(refund.total)
        lines = tuple(ReturnLine(i, "S", n, "r", received=n) for i, n in units.items() if n)
        earlier.append(Return("R-1", ReturnStatus.REFUNDED, lines, AT, refund=refund.total))
    return totals


@RELAXED
@given(split_returns())
def test_refunds_over_any_split_never_exceed_and_a_full_return_gives_back_exactly_the_order(
    case: tuple[OrderSnapshot, list[dict[str, int]]],
) -> None:
    order, returns = case
    totals = refund_all(order, returns)
    returned_everything = all(
        sum(r.get(line.line_id, 0) for r in returns) == line.units for line in order.lines
    )
    assert all(total >= 0 for total in totals)
    assert sum(totals, Decimal(0)) <= order_total(order)
    if returned_everything:
        assert sum(totals, Decimal(0)) == order_total(order)


@RELAXED
@given(split_returns())
def test_proration_is_exact_per_line_to_the_minor_unit(
    case: tuple[OrderSnapshot, list[dict[str, int]]],
) -> None:
    order, returns = case
    earlier: list[Return] = []
    given_back = {line.line_id: [Decimal(0), Decimal(0)] for line in order.lines}
    for units in returns:
        refund = compute_refund(order, units, earlier)
        for piece in refund.lines:
            given_back[piece.order_line_id][0] += piece.gross - piece.discount
            given_back[piece.order_line_id][1] += piece.tax
        lines = tuple(ReturnLine(i, "S", n, "r", received=n) for i, n in units.items() if n)
        earlier.append(Return("R-1", ReturnStatus.REFUNDED, lines, AT, refund=refund.total))
    for line in order.lines:
        returned = sum(r.get(line.line_id, 0) for r in returns)
        net, tax = given_back[line.line_id]
        # what came back is the cumulative share, rounded once: never drifts by a cent
        assert net == round_money(line.net * returned / line.units, order.currency)
        assert tax == round_money(line.tax * returned / line.units, order.currency)


@RELAXED
@given(
    st.integers(0, 10**6),
    st.integers(-(10**5), 10**6),
    st.integers(-(10**5), 10**6),
    st.integers(-(10**5), 10**6),
)
def test_a_settlement_adds_up_and_never_pays_more_cash_than_is_refundable(
    value: int, owed: int, cash: int, exchange: int
) -> None:
    def cents(n: int) -> Decimal:
        return Decimal(n).scaleb(-2)

    parts = settle_refund(
        cents(value),
        receivable_open=cents(owed),
        refundable_cash=cents(cash),
        exchange_credit=cents(exchange),
    )
    assert parts.total == cents(value)
    assert min(parts.receivable, parts.store_credit, parts.cash, parts.goodwill) >= 0
    assert parts.cash <= max(Decimal(0), cents(cash))
    assert parts.store_credit <= max(Decimal(0), cents(exchange))
