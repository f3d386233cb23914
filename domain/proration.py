"""Splitting money exactly: every part on the currency's grid, the parts summing to the whole.

Two tools, both exact to the minor unit:
- `allocate` splits a total over weights (an order discount over its lines) by the largest
  remainder method, so the rounded parts always add up to the rounded total;
- `prorate_units` takes the share of `units_now` out of `units_total` after `units_before`
  were already taken, by differencing cumulative rounded shares. However an amount is split
  into successive pieces, the pieces add up to exactly the amount (the sums telescope), and
  the last piece takes whatever rounding left over: this is what makes refunds over any split
  of returns come back to exactly what the line cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from domain.money import minor_units, round_money


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in minor units; it must already be on the currency's grid."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not rounded to {currency}'s minor unit")
    return int(scaled)


def from_minor(units: int, currency: str) -> Decimal:
    return round_money(Decimal(units).scaleb(-minor_units(currency)), currency)


def zero(currency: str) -> Decimal:
    return round_money(Decimal(0), currency)


def allocate(
    total: Decimal, weights: Sequence[Decimal], currency: str, keys: Sequence[str] | None = None
) -> list[Decimal]:
    """Split `total` in proportion to non-negative `weights`; parts sum to exactly `total`.

    When `total <= sum(weights)` and the weights are on the currency grid, no part exceeds its
    weight (a floor share is below the weight and the one extra minor unit a part may get
    still fits, because the weight is a whole number of minor units). Leftover minor units go
    to the largest remainders; ties go to the smallest key (or index), so the result does not
    depend on the order the caller listed things in.
    """
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    total_minor = to_minor(round_money(total, currency), currency)
    if total_minor < 0:
        raise ValueError("total must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if total_minor == 0 or weight_sum == 0:
        if total_minor != 0:
            raise ValueError("cannot allocate a positive total over zero weights")
        return [zero(currency) for _ in weights]
    shares = [Decimal(total_minor) * w / weight_sum for w in weights]
    floors = [int(s.to_integral_value(rounding=ROUND_FLOOR)) for s in shares]
    left = total_minor - sum(floors)
    tie_keys: Sequence[str | int] = keys if keys is not None else list(range(len(weights)))
    order = sorted(
        range(len(weights)),
        key=lambda i: (-(shares[i] - floors[i]), tie_keys[i]),
    )
    for i in order[:left]:
        floors[i] += 1
    return [from_minor(units, currency) for units in floors]


def prorate_units(
    amount: Decimal, units_total: int, units_before: int, units_now: int, currency: str
) -> Decimal:
    """The part of `amount` (for `units_total` units) belonging to `units_now` more units,
    after `units_before` units already took theirs.

    cumulative(k) = round(amount * k / units_total); the piece is cumulative(before + now) -
    cumulative(before). Rounding is monotone, so a piece is never negative, and
    cumulative(units_total) = amount, so the pieces of a full split sum to exactly `amount`.
    """
    if units_total <= 0:
        raise ValueError("units_total must be positive")
    if units_before < 0 or units_now < 0 or units_before + units_now > units_total:
        raise ValueError("units out of range")

    def cumulative(units: int) -> Decimal:
        if units == units_total:
            return round_money(amount, currency)
        return round_money(amount * units / units_total, currency)

    return cumulative(units_before + units_now) - cumulative(units_before)
