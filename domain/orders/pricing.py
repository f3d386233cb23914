"""Cart and order totals in the channel currency.

Every amount is rounded half-even to the currency's minor unit at the line (or shipping)
where it arises; every total is the sum of those rounded parts:

    line.subtotal  = round(unit_price * quantity)
    line.discount  = round(discount from the promotion engine), at most line.subtotal
    line.total     = line.subtotal - line.discount
    line.tax       = tax_on(line.total)                    (see domain/orders/tax.py)
    subtotal       = sum(line.subtotal)
    discount_total = sum(line.discount) + shipping_discount
    shipping_total = round(shipping price)                 (before its discount)
    tax_total      = sum(line.tax) + shipping_tax
    total          = subtotal - discount_total + shipping_total (+ tax_total when exclusive)

In a tax-inclusive channel the tax is already inside the prices, so `total` does not add it
again; `tax_total` says how much of the total is tax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.locations.model import Location
from domain.money import round_money
from domain.orders.cart import Cart, CartLine
from domain.orders.tax import ZERO, TaxTable, tax_on


@dataclass(frozen=True, slots=True)
class PricingLine:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    tax_country: str | None = None  # a pickup line is taxed where it is handed over
    tax_class: str | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    tax: Decimal
    tax_rate: Decimal
    charge: Decimal  # what the shopper pays for the line: total, plus tax when exclusive


@dataclass(frozen=True, slots=True)
class Totals:
    currency: str
    prices_include_tax: bool
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    shipping_discount: Decimal
    shipping_tax: Decimal
    tax_total: Decimal
    total: Decimal

    @property
    def shipping_charge(self) -> Decimal:
        """What the shopper pays for shipping, tax included."""
        net = self.shipping_total - self.shipping_discount
        return net if self.prices_include_tax else net + self.shipping_tax

    def line(self, line_id: str) -> PricedLine:
        return next(line for line in self.lines if line.line_id == line_id)


def price_lines(
    lines: Sequence[PricingLine],
    *,
    currency: str,
    taxes: TaxTable,
    destination_country: str | None,
    shipping: Decimal = ZERO,
    line_discounts: Mapping[str, Decimal] | None = None,
    shipping_discount: Decimal = ZERO,
) -> Totals:
    """Totals of a cart or order. Discounts come from the promotion engine, already per line;
    one larger than its line (or than shipping) is capped, a negative one is a bug."""
    discounts = dict(line_discounts or {})
    unknown = set(discounts) - {line.line_id for line in lines}
    if unknown:
        raise ValueError(f"discounts for lines not in the cart: {sorted(unknown)}")
    if any(d < 0 for d in discounts.values()) or shipping_discount < 0 or shipping < 0:
        raise ValueError("discounts and shipping are never negative")
    inclusive = taxes.prices_include_tax
    priced = tuple(
        _price_line(line, discounts.get(line.line_id, ZERO), currency, taxes, destination_country)
        for line in lines
    )
    shipping_total = round_money(shipping, currency)
    ship_discount = min(round_money(shipping_discount, currency), shipping_total)
    shipping_tax = tax_on(
        shipping_total - ship_discount,
        taxes.shipping_rate(destination_country),
        currency,
        inclusive=inclusive,
    )
    subtotal = sum((p.subtotal for p in priced), round_money(ZERO, currency))
    discount_total = sum((p.discount for p in priced), ship_discount)
    tax_total = sum((p.tax for p in priced), shipping_tax)
    total = subtotal - discount_total + shipping_total + (ZERO if inclusive else tax_total)
    return Totals(
        currency=currency,
        prices_include_tax=inclusive,
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_total=shipping_total,
        shipping_discount=ship_discount,
        shipping_tax=shipping_tax,
        tax_total=tax_total,
        total=total,
    )


def _price_line(
    line: PricingLine,
    discount: Decimal,
    currency: str,
    taxes: TaxTable,
    destination_country: str | None,
) -> PricedLine:
    subtotal = round_money(line.unit_price * line.quantity, currency)
    capped = min(round_money(discount, currency), subtotal)
    total = subtotal - capped
    rate = taxes.rate(line.tax_country or destination_country, line.tax_class)
    tax = tax_on(total, rate, currency, inclusive=taxes.prices_include_tax)
    charge = total if taxes.prices_include_tax else total + tax
    return PricedLine(
        line_id=line.line_id,
        sku=line.sku,
        quantity=line.quantity,
        unit_price=line.unit_price,
        subtotal=subtotal,
        discount=capped,
        total=total,
        tax=tax,
        tax_rate=rate,
        charge=charge,
    )


def cart_pricing_lines(
    cart: Cart,
    prices: Mapping[str, Decimal],
    locations: Mapping[int, Location],
    tax_classes: Mapping[str, str] | None = None,
) -> tuple[PricingLine, ...]:
    """A cart's lines at the channel's current prices; a pickup line is taxed in the country
    of its pickup location (when the location's address is known)."""
    classes = tax_classes or {}

    def country(line: CartLine) -> str | None:
        pickup_id = line.pickup_location_id
        location = None if pickup_id is None else locations.get(pickup_id)
        return location.address.country if location and location.address else None

    return tuple(
        PricingLine(
            line.id, line.sku, line.quantity, prices[line.sku], country(line), classes.get(line.sku)
        )
        for line in cart.lines
    )
