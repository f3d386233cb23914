"""Totals: every total is the sum of its rounded parts; tax-inclusive and -exclusive rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.locations.model import Address, Location, LocationKind
from domain.money import minor_units, round_money
from domain.orders.cart import Cart, CartLine
from domain.orders.lifecycle import FulfillmentMethod
from domain.orders.pricing import PricingLine, cart_pricing_lines, price_lines
from domain.orders.tax import TaxRule, TaxTable, tax_on, tax_table_errors

D = Decimal
FR = TaxRule("FR", D("0.20"), class_rates=(("books", D("0.055")),))
US = TaxRule("US", D("0.0725"), shipping_taxable=False)
CURRENCIES = ["EUR", "JPY", "KWD"]

prices = st.decimals(min_value=D("0.001"), max_value=D("5000"), places=3)
rates = st.sampled_from([D(0), D("0.055"), D("0.07"), D("0.0725"), D("0.19"), D("0.20"), D("0.25")])


PricingCase = tuple[list[PricingLine], dict[str, Decimal], TaxTable, str, Decimal, Decimal]


@st.composite
def carts(
    draw: st.DrawFn,
) -> tuple[list[PricingLine], dict[str, Decimal], TaxTable, str, Decimal, Decimal]:
    currency = draw(st.sampled_from(CURRENCIES))
    lines = [
        PricingLine(str(i), f"SKU{i}", draw(st.integers(1, 999)), draw(prices))
        for i in range(draw(st.integers(0, 6)))
    ]
    discounts = {
        line.line_id: draw(st.decimals(min_value=0, max_value=D("6000"), places=2))
        for line in lines
        if draw(st.booleans())
    }
    table = TaxTable(
        prices_include_tax=draw(st.booleans()),
        rules=(TaxRule("DE", draw(rates), shipping_taxable=draw(st.booleans())),),
    )
    shipping = draw(st.decimals(min_value=0, max_value=D("50"), places=2))
    shipping_discount = draw(st.decimals(min_value=0, max_value=D("60"), places=2))
    return lines, discounts, table, currency, shipping, shipping_discount


def is_rounded(amount: Decimal, currency: str) -> bool:
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    return amount == round_money(amount, currency) and -exponent == minor_units(currency)


@settings(max_examples=200, deadline=None)
@given(carts())
def test_every_total_is_the_sum_of_its_rounded_parts(cart: PricingCase) -> None:
    # given any cart, discounts, tax table and currency; when priced
    lines, discounts, table, currency, shipping, shipping_discount = cart
    totals = price_lines(
        lines,
        currency=currency,
        taxes=table,
        destination_country="DE",
        shipping=shipping,
        line_discounts=discounts,
        shipping_discount=shipping_discount,
    )
    # then every amount is rounded to the currency's minor unit
    amounts = [totals.subtotal, totals.discount_total, totals.shipping_total, totals.tax_total]
    amounts += [totals.total, totals.shipping_tax, totals.shipping_discount]
    for line in totals.lines:
        amounts += [line.subtotal, line.discount, line.total, line.tax, line.charge]
    assert all(is_rounded(a, currency) for a in amounts)
    # and each total is the sum of its parts
    assert totals.subtotal == sum(line.subtotal for line in totals.lines)
    assert (
        totals.discount_total
        == sum(line.discount for line in totals.lines) + totals.shipping_discount
    )
    assert totals.tax_total == sum(line.tax for line in totals.lines) + totals.shipping_tax
    added_tax = 0 if table.prices_include_tax else totals.tax_total
    assert (
        totals.total == totals.subtotal - totals.discount_total + totals.shipping_total + added_tax
    )
    # and what the shopper pays is the sum of the line charges and the shipping charge
    assert totals.total == sum(line.charge for line in totals.lines) + totals.shipping_charge
    # and no discount exceeds what it discounts, so nothing is negative
    for line in totals.lines:
        assert D(0) <= line.discount <= line.subtotal
        assert line.total == line.subtotal - line.discount
    assert D(0) <= totals.shipping_discount <= totals.shipping_total
    assert totals.total >= 0


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=D("100000"), places=2), rates, st.sampled_from(CURRENCIES)
)
def test_inclusive_tax_is_extracted_so_net_and_tax_add_back_to_the_price(
    gross: Decimal, rate: Decimal, currency: str
) -> None:
    gross = round_money(gross, currency)
    tax = tax_on(gross, rate, currency, inclusive=True)
    net = gross - tax
    # then tax is the rounded share rate/(1+rate) of the price
    assert tax == round_money(gross * rate / (1 + rate), currency)
    # and the net, taxed at the rate, comes back to the price within one rounding step
    step = D(1).scaleb(-minor_units(currency))
    assert abs(round_money(net * (1 + rate), currency) - gross) <= step
    assert D(0) <= tax <= gross


def test_exclusive_tax_is_added_per_line_and_rounded_half_even() -> None:
    # given a US channel (prices before tax, shipping untaxed) and two lines at 7.25 %
    table = TaxTable(prices_include_tax=False, rules=(US,))
    lines = [PricingLine("1", "A", 1, D("10.00")), PricingLine("2", "B", 3, D("2.10"))]
    # when priced with shipping
    totals = price_lines(
        lines, currency="USD", taxes=table, destination_country="US", shipping=D("5")
    )
    # then 10.00 * 7.25 % = 0.725 rounds half-even to 0.72, 6.30 * 7.25 % = 0.45675 to 0.46
    assert [line.tax for line in totals.lines] == [D("0.72"), D("0.46")]
    assert totals.shipping_tax == D("0.00")
    assert totals.tax_total == D("1.18")
    assert totals.total == D("16.30") + D("5.00") + D("1.18")


def test_inclusive_tax_is_inside_the_price_and_not_added_again() -> None:
    # given a French channel with prices including 20 % VAT and a book at 5.5 %
    table = TaxTable(prices_include_tax=True, rules=(FR,))
    lines = [
        PricingLine("1", "A", 1, D("12.00")),
        PricingLine("2", "BOOK", 1, D("21.10"), tax_class="books"),
    ]
    totals = price_lines(
        lines, currency="EUR", taxes=table, destination_country="FR", shipping=D("4.99")
    )
    # then 12.00 holds 2.00 of VAT, 21.10 holds 1.10 (21.10 * 0.055 / 1.055 = 1.1000)
    assert [line.tax for line in totals.lines] == [D("2.00"), D("1.10")]
    assert totals.shipping_tax == D("0.83")  # 4.99 / 6 = 0.8316
    assert totals.total == D("38.09")
    assert totals.tax_total == D("3.93")


def test_discounts_reduce_the_taxed_base_and_are_capped_at_the_line() -> None:
    table = TaxTable(prices_include_tax=False, rules=(TaxRule("DE", D("0.19")),))
    lines = [PricingLine("1", "A", 2, D("10.00"))]
    totals = price_lines(
        lines,
        currency="EUR",
        taxes=table,
        destination_country="DE",
        shipping=D("4.90"),
        line_discounts={"1": D("25.00")},
        shipping_discount=D("10"),
    )
    assert (totals.lines[0].discount, totals.lines[0].total, totals.lines[0].tax) == (
        D("20.00"),
        D("0.00"),
        D("0.00"),
    )
    assert totals.shipping_discount == D("4.90")
    assert totals.total == D("0.00")


def test_an_unknown_destination_is_taxed_like_the_home_country_and_an_unlisted_one_not_at_all() -> (
    None
):
    table = TaxTable(prices_include_tax=False, rules=(FR,), home_country="FR")
    lines = [PricingLine("1", "A", 1, D("10.00"))]
    unknown = price_lines(lines, currency="EUR", taxes=table, destination_country=None)
    elsewhere = price_lines(lines, currency="EUR", taxes=table, destination_country="CH")
    assert (unknown.tax_total, elsewhere.tax_total) == (D("2.00"), D("0.00"))


def test_a_pickup_line_is_taxed_where_it_is_handed_over() -> None:
    # given a cart shipping to the US with one line picked up at a Paris store
    store = Location(
        7,
        "PAR",
        "Paris",
        LocationKind.STORE,
        None,
        False,
        True,
        None,
        0,
        Address("1 rue de Rivoli", "Paris", "75001", "FR"),
    )
    cart = Cart(
        "c1",
        "web",
        "EUR",
        lines=(
            CartLine("1", "A", 1, FulfillmentMethod.SHIP),
            CartLine("2", "A", 1, FulfillmentMethod.PICKUP, 7),
        ),
    )
    lines = cart_pricing_lines(cart, {"A": D("10.00")}, {7: store})
    table = TaxTable(prices_include_tax=False, rules=(FR, US))
    totals = price_lines(lines, currency="EUR", taxes=table, destination_country="US")
    assert [line.tax for line in totals.lines] == [D("0.72"), D("2.00")]


def test_discounts_for_unknown_lines_or_negative_amounts_are_refused() -> None:
    table = TaxTable(prices_include_tax=True)
    lines = [PricingLine("1", "A", 1, D("10.00"))]
    with pytest.raises(ValueError, match="not in the cart"):
        price_lines(
            lines, currency="EUR", taxes=table, destination_country=None, line_discounts={"9": D(1)}
        )
    with pytest.raises(ValueError, match="never negative"):
        price_lines(
            lines,
            currency="EUR",
            taxes=table,
            destination_country=None,
            line_discounts={"1": D(-1)},
        )


def test_tax_rates_outside_zero_to_one_and_repeated_countries_are_reported() -> None:
    table = TaxTable(
        prices_include_tax=True,
        rules=(TaxRule("FR", D("20")), TaxRule("FR", D("0.2"), class_rates=(("food", D("-0.1")),))),
    )
    assert [e.field for e in tax_table_errors(table)] == [
        ("taxes", "0", "rate"),
        ("taxes", "1", "country"),
        ("taxes", "1", "classRates.food"),
    ]
