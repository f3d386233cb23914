"""The ledger's posting rules, one financial event at a time (docs/ledger.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.ledger.accounts import CHART, Account
from domain.ledger.model import (
    JournalEntry,
    JournalLine,
    UnbalancedEntry,
    balance_of,
    reverse,
    trial_balance,
)
from domain.ledger.postings import (
    Appeased,
    InventoryWrittenOff,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentVoided,
    ReceivedLine,
    Refunded,
    ReturnReceived,
    Shipped,
    ShippedLine,
    Tender,
    post,
)
from domain.returns.model import Disposition
from domain.returns.refunds import LineRefund, RefundBreakdown, Settlement

AT = datetime(2025, 3, 1, tzinfo=UTC)
D = Decimal
A = Account
EVENT: dict[str, Any] = {"reference": "R-1001", "currency": "USD", "at": AT}


def lines_of(entry: JournalEntry) -> set[tuple[str, str, str]]:
    return {(line.account.value, str(line.debit), str(line.credit)) for line in entry.lines}


def test_an_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            AT,
            "x",
            "R-1",
            (
                JournalLine(A.PAYMENT_CLEARING, D("10.00"), D("0.00"), "USD"),
                JournalLine(A.ACCOUNTS_RECEIVABLE, D("0.00"), D("9.99"), "USD"),
            ),
        )
    with pytest.raises(UnbalancedEntry):
        JournalLine(A.PAYMENT_CLEARING, D("1.00"), D("1.00"), "USD")  # both sides
    with pytest.raises(UnbalancedEntry):
        JournalLine(A.PAYMENT_CLEARING, D("1.001"), D("0.00"), "USD")  # off the cent grid
    with pytest.raises(UnbalancedEntry):
        JournalLine(A.PAYMENT_CLEARING, D("-1.00"), D("0.00"), "USD")


def test_every_account_is_in_the_chart_with_a_unique_number() -> None:
    assert set(CHART) == set(Account)
    assert len({info.number for info in CHART.values()}) == len(CHART)


def test_an_authorization_is_a_memo_released_by_capture_and_void() -> None:
    # given 100.00 authorized, 60.00 captured and the rest voided
    entries = [
        post(PaymentAuthorized(amount=D("100.00"), **EVENT)),
        post(PaymentCaptured(amount=D("60.00"), **EVENT)),
        post(PaymentVoided(amount=D("40.00"), **EVENT)),
    ]
    # then the authorization moved no money and no memo is left open
    assert lines_of(entries[0]) == {
        ("AUTHORIZATIONS_OPEN", "100.00", "0.00"),
        ("AUTHORIZATIONS_CONTRA", "0.00", "100.00"),
    }
    assert balance_of(entries, A.AUTHORIZATIONS_OPEN, "USD") == 0
    assert balance_of(entries, A.PAYMENT_CLEARING, "USD") == D("60.00")
    assert balance_of(entries, A.ACCOUNTS_RECEIVABLE, "USD") == D("-60.00")  # a deposit


def test_a_shipment_earns_revenue_tax_shipping_net_of_discount_and_costs_goods() -> None:
    # given two units at 50.00 with 10.00 off, 8.00 tax, 5.00 shipping and a unit cost of 20.00
    event = Shipped(
        lines=(ShippedLine("TEE", 2, D("100.00"), D("10.00"), D("8.00"), D("20.00")),),
        shipping=D("5.00"),
        shipping_tax=D("0.40"),
        **EVENT,
    )
    # when
    entry = post(event)
    # then
    assert entry.event == "order.shipped"
    assert lines_of(entry) == {
        ("ACCOUNTS_RECEIVABLE", "103.40", "0.00"),
        ("SALES_DISCOUNTS", "10.00", "0.00"),
        ("COST_OF_GOODS_SOLD", "40.00", "0.00"),
        ("SALES_REVENUE", "0.00", "100.00"),
        ("SHIPPING_REVENUE", "0.00", "5.00"),
        ("SALES_TAX_PAYABLE", "0.00", "8.40"),
        ("INVENTORY", "0.00", "40.00"),
    }


def test_a_refund_reverses_revenue_discount_and_tax_and_pays_from_clearing() -> None:
    breakdown = RefundBreakdown(
        "USD", (LineRefund("l1", "TEE", 1, D("50.00"), D("5.00"), D("4.00")),), *[D("0.00")] * 3
    )
    settlement = Settlement(D("0"), D("0"), D("49.00"), D("0"))
    entry = post(Refunded(breakdown=breakdown, unshipped=D("0"), settlement=settlement, **EVENT))
    assert lines_of(entry) == {
        ("SALES_RETURNS", "50.00", "0.00"),
        ("SALES_TAX_PAYABLE", "4.00", "0.00"),
        ("PAYMENT_CLEARING", "0.00", "49.00"),
        ("SALES_DISCOUNTS", "0.00", "5.00"),
    }


def test_a_refund_whose_settlement_does_not_match_is_refused() -> None:
    breakdown = RefundBreakdown("USD", (), *[D("0.00")] * 3)
    settlement = Settlement(D("0"), D("0"), D("10.00"), D("0"))
    with pytest.raises(ValueError, match="settlement"):
        post(Refunded(breakdown=breakdown, unshipped=D("9.99"), settlement=settlement, **EVENT))


def test_a_refund_of_unshipped_goods_returns_the_deposit() -> None:
    settlement = Settlement(D("0"), D("0"), D("30.00"), D("0"))
    entry = post(Refunded(breakdown=None, unshipped=D("30.00"), settlement=settlement, **EVENT))
    assert lines_of(entry) == {
        ("ACCOUNTS_RECEIVABLE", "30.00", "0.00"),
        ("PAYMENT_CLEARING", "0.00", "30.00"),
    }


def test_an_appeasement_is_an_expense_paid_in_cash_or_store_credit() -> None:
    cash = post(Appeased(amount=D("15.00"), reason="late", **EVENT))
    credit = post(Appeased(amount=D("15.00"), tender=Tender.STORE_CREDIT, **EVENT))
    assert lines_of(cash) == {
        ("APPEASEMENTS", "15.00", "0.00"),
        ("PAYMENT_CLEARING", "0.00", "15.00"),
    }
    assert ("STORE_CREDIT", "0.00", "15.00") in lines_of(credit)
    assert cash.memo == "late"


def test_received_returns_take_their_cost_out_of_cogs_by_disposition() -> None:
    event = ReturnReceived(
        lines=(
            ReceivedLine("A", 2, D("10.00"), Disposition.RESTOCK),
            ReceivedLine("B", 1, D("7.50"), Disposition.DISCARD),
            ReceivedLine("C", 1, D("3.00"), Disposition.RETURN_TO_VENDOR),
        ),
        **EVENT,
    )
    assert lines_of(post(event)) == {
        ("INVENTORY", "20.00", "0.00"),
        ("VENDOR_RETURNS_RECEIVABLE", "3.00", "0.00"),
        ("INVENTORY_WRITE_OFFS", "7.50", "0.00"),
        ("COST_OF_GOODS_SOLD", "0.00", "30.50"),
    }


def test_a_stock_write_off_moves_inventory_to_shrinkage() -> None:
    entry = post(InventoryWrittenOff(sku="A", quantity=3, unit_cost=D("2.10"), **EVENT))
    assert lines_of(entry) == {
        ("INVENTORY_WRITE_OFFS", "6.30", "0.00"),
        ("INVENTORY", "0.00", "6.30"),
    }


def test_a_reversal_cancels_an_entry_without_editing_it() -> None:
    # given a recorded appeasement posted by mistake
    original = post(Appeased(amount=D("15.00"), **EVENT)).with_id(41)
    # when it is reversed
    correction = reverse(original, AT, "posted twice")
    # then the correction points at it, mirrors it, and together they weigh nothing
    assert (correction.event, correction.reverses, correction.reference) == (
        "reversal",
        41,
        "R-1001",
    )
    assert lines_of(correction) == {
        ("APPEASEMENTS", "0.00", "15.00"),
        ("PAYMENT_CLEARING", "15.00", "0.00"),
    }
    both = trial_balance([original, correction], "USD")
    assert all(row.balance == 0 for row in both.rows)
    with pytest.raises(ValueError, match="recorded"):
        reverse(post(Appeased(amount=D("1.00"), **EVENT)), AT)


def test_the_trial_balance_keeps_currencies_apart_and_always_balances() -> None:
    usd = post(Appeased(amount=D("15.00"), **EVENT))
    jpy = post(Appeased(amount=D("1500"), reference="R-2", currency="JPY", at=AT))
    balance = trial_balance([usd, jpy], "JPY")
    assert (balance.total_debit, balance.total_credit) == (D("1500"), D("1500"))
    assert [(row.account, row.balance) for row in balance.rows] == [
        (A.PAYMENT_CLEARING, D("-1500")),
        (A.APPEASEMENTS, D("1500")),
    ]
