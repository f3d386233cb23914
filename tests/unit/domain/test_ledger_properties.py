"""Properties of postings over arbitrary events, and of the exact splitting they rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ledger.model import reverse, trial_balance
from domain.ledger.postings import (
    Appeased,
    InventoryWrittenOff,
    LedgerEvent,
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
from domain.money import minor_units, round_money
from domain.proration import allocate, prorate_units
from domain.returns.model import Disposition
from domain.returns.refunds import LineRefund, RefundBreakdown, settle_refund

# Shared 2-core machines and CI: slow draws are load, not a bug.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = datetime(2025, 3, 1, tzinfo=UTC)
CURRENCIES = ["USD", "JPY", "KWD"]


@st.composite
def events(draw: st.DrawFn) -> LedgerEvent:
    cur = draw(st.sampled_from(CURRENCIES))

    def amount(high: int = 100_000) -> Decimal:
        return Decimal(draw(st.integers(0, high))).scaleb(-minor_units(cur))

    def cost() -> Decimal:  # unit costs may carry more digits than the currency
        return Decimal(draw(st.integers(0, 10**6))).scaleb(-4)

    common: dict[str, Any] = {
        "reference": draw(st.sampled_from(["R-1", "R-2"])),
        "currency": cur,
        "at": AT,
    }
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return PaymentAuthorized(amount=amount(), **common)
    if kind == 1:
        return PaymentVoided(amount=amount(), **common)
    if kind == 2:
        return PaymentCaptured(amount=amount(), store_credit=amount(), **common)
    if kind == 3:
        lines = []
        for _ in range(draw(st.integers(0, 3))):
            gross = amount()
            discount = min(gross, amount())
            lines.append(
                ShippedLine("S", draw(st.integers(1, 9)), gross, discount, amount(), cost())
            )
        shipping = amount(5_000)
        return Shipped(
            lines=tuple(lines),
            shipping=shipping,
            shipping_discount=min(shipping, amount(5_000)),
            shipping_tax=amount(500),
            **common,
        )
    if kind == 4:
        gross = amount()
        refund_lines = (LineRefund("l", "S", 1, gross, min(gross, amount()), amount()),)
        shipping = amount(5_000)
        breakdown = RefundBreakdown(
            cur, refund_lines, shipping, min(shipping, amount()), amount(99)
        )
        unshipped = amount()
        settlement = settle_refund(
            breakdown.total + unshipped,
            receivable_open=amount(),
            refundable_cash=amount(),
            exchange_credit=amount(),
        )
        return Refunded(breakdown=breakdown, unshipped=unshipped, settlement=settlement, **common)
    if kind == 5:
        tender = draw(st.sampled_from(list(Tender)))
        return Appeased(amount=amount(), tender=tender, **common)
    if kind == 6:
        received = tuple(
            ReceivedLine(
                "S", draw(st.integers(1, 5)), cost(), draw(st.sampled_from(list(Disposition)))
            )
            for _ in range(draw(st.integers(1, 3)))
        )
        return ReturnReceived(lines=received, **common)
    return InventoryWrittenOff(
        sku="S", quantity=draw(st.integers(1, 9)), unit_cost=cost(), **common
    )


@RELAXED
@given(st.lists(events(), max_size=25))
def test_every_event_posts_a_balanced_entry_and_reversals_bring_every_account_to_zero(
    stream: list[LedgerEvent],
) -> None:
    entries = [post(event).with_id(i) for i, event in enumerate(stream, start=1)]
    for entry in entries:
        assert all(debit == credit for debit, credit in entry.totals().values())
    corrections = [reverse(entry, AT) for entry in entries]
    for currency in CURRENCIES:
        balance = trial_balance(entries, currency)
        assert balance.total_debit == balance.total_credit
        assert all(row.balance == 0 for row in trial_balance(entries + corrections, currency).rows)


@RELAXED
@given(
    st.sampled_from(CURRENCIES),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
    st.integers(0, 100),
)
def test_allocation_sums_exactly_and_no_part_exceeds_its_weight(
    currency: str, weights_minor: list[int], percent: int
) -> None:
    scale = minor_units(currency)
    weights = [Decimal(w).scaleb(-scale) for w in weights_minor]
    total = round_money(sum(weights, Decimal(0)) * percent / 100, currency)
    if sum(weights) == 0:
        total = round_money(Decimal(0), currency)
    parts = allocate(total, weights, currency)
    assert sum(parts, Decimal(0)) == total
    assert all(Decimal(0) <= part <= weight for part, weight in zip(parts, weights, strict=True))
    assert all(round_money(part, currency) == part for part in parts)


@RELAXED
@given(
    st.sampled_from(CURRENCIES),
    st.integers(0, 10**7),
    st.lists(st.integers(1, 5), min_size=1, max_size=10),
)
def test_prorating_units_in_any_split_adds_up_to_the_amount(
    currency: str, minor: int, split: list[int]
) -> None:
    amount = Decimal(minor).scaleb(-minor_units(currency))
    units = sum(split)
    taken, pieces = 0, []
    for now in split:
        pieces.append(prorate_units(amount, units, taken, now, currency))
        taken += now
    assert all(piece >= 0 for piece in pieces)
    assert sum(pieces, Decimal(0)) == amount
