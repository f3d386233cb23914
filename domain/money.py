"""Money rules: Decimal amounts rounded half-even to the currency's minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2 digits.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def is_currency_code(value: str) -> bool:
    return len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()


# Quantize exponents by currency code: the storefront listing rounds every price it shows.
_EXPONENTS: dict[str, Decimal] = {}


def round_money(amount: Decimal, currency: str) -> Decimal:
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = Decimal(1).scaleb(-minor_units(currency))
        if len(_EXPONENTS) < 256:  # bounded: a currency may come from a client's input
            _EXPONENTS[currency] = exponent
    # Positional: _decimal parses keyword arguments at about twice the cost of the rounding.
    return amount.quantize(exponent, ROUND_HALF_EVEN)


def parse_amount(raw: str) -> Decimal | None:
    """A finite Decimal from text, or None when it is not a number."""
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None
