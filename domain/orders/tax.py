"""Tax from a rate table per channel and destination country.

A channel's prices either include tax (most B2C in Europe) or exclude it (US, B2B):
- exclusive: tax = round(base * rate)
- inclusive: tax = round(base * rate / (1 + rate)) and the net is base - tax, so net and tax
  always add back to the price the shopper saw.
Rounding is half-even to the currency's minor unit, per line and for shipping separately;
the tax total is the sum of those rounded parts (never a rounding of the sum).
A country the table does not list is one the channel does not collect tax for: rate 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import FieldError, invalid
from domain.money import round_money

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TaxRule:
    country: str
    rate: Decimal  # 0.20 for 20 %
    shipping_taxable: bool = True
    class_rates: tuple[tuple[str, Decimal], ...] = ()  # reduced rates, e.g. ("books", 0.055)

    def rate_for(self, tax_class: str | None) -> Decimal:
        if tax_class is not None:
            for name, rate in self.class_rates:
                if name == tax_class:
                    return rate
        return self.rate


@dataclass(frozen=True, slots=True)
class TaxTable:
    """One channel's taxes. `home_country` prices a cart whose destination is not known yet
    (a storefront shows tax before the shopper types an address)."""

    prices_include_tax: bool
    rules: tuple[TaxRule, ...] = ()
    home_country: str | None = None

    def rule(self, country: str | None) -> TaxRule | None:
        wanted = country or self.home_country
        return next((r for r in self.rules if r.country == wanted), None)

    def rate(self, country: str | None, tax_class: str | None = None) -> Decimal:
        rule = self.rule(country)
        return ZERO if rule is None else rule.rate_for(tax_class)

    def shipping_rate(self, country: str | None) -> Decimal:
        rule = self.rule(country)
        return ZERO if rule is None or not rule.shipping_taxable else rule.rate


def tax_on(base: Decimal, rate: Decimal, currency: str, *, inclusive: bool) -> Decimal:
    """The tax in `base` (inclusive) or on top of it (exclusive), rounded half-even."""
    if rate == ZERO or base == ZERO:
        return round_money(ZERO, currency)
    if inclusive:
        return round_money(base * rate / (1 + rate), currency)
    return round_money(base * rate, currency)


def tax_table_errors(table: TaxTable, base: Sequence[str] = ("taxes",)) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, rule in enumerate(table.rules):
        path = (*base, str(index))
        if rule.country in seen:
            errors.append(invalid((*path, "country"), f"{rule.country} is listed twice."))
        seen.add(rule.country)
        rates = [("rate", rule.rate)] + [(f"classRates.{n}", r) for n, r in rule.class_rates]
        for name, rate in rates:
            if not (rate.is_finite() and ZERO <= rate <= 1):
                errors.append(invalid((*path, name), "A tax rate is a fraction between 0 and 1."))
    return errors
