"""Validation of a new promotion (`promotionCreate`): every problem at once, with field paths
in the GraphQL input's own names, so the client can point at the field to fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import DomainError, FieldError, invalid, not_found
from domain.money import round_money
from domain.promotions.model import (
    FIXED_KINDS,
    PERCENT_KINDS,
    TARGETED_KINDS,
    Promotion,
    PromotionKind,
    normalize_code,
)

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
MAX_NAME = 200
INT32_MAX = 2**31 - 1
# Amounts are stored as NUMERIC(18, 4); quantizing anything near 10^28 raises, too.
AMOUNT_DIGITS = 14


def too_large(amount: Decimal) -> bool:
    """10^14 or more (adjusted(): no arithmetic, which a huge exponent would overflow)."""
    return amount.is_finite() and amount != 0 and amount.adjusted() >= AMOUNT_DIGITS


@dataclass(frozen=True, slots=True)
class CreatePromotion:
    """Command: the PromotionInput of the contract, in snake case."""

    name: str
    kind: PromotionKind
    value: Decimal
    channels: tuple[str, ...]
    coupon_code: str | None = None
    usage_limit: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_subtotal: Decimal | None = None
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    buy_quantity: int | None = None
    get_quantity: int | None = None
    exclusive: bool = False
    priority: int = 0
    source_code: str | None = None


def validate_promotion(
    cmd: CreatePromotion,
    channel_currencies: Mapping[str, str],
    lowest_prices: Mapping[str, Decimal] | None = None,
    base: tuple[str, ...] = ("input",),
) -> list[FieldError]:
    """All problems with `cmd`; empty when it may be stored.

    `channel_currencies` maps every known channel code to its currency (a fixed amount is in
    the currency of its channels, so they must share one). `lowest_prices`, when given, maps
    each SKU the promotion targets (by SKU or through a category) to its lowest price in those
    channels: a LINE_FIXED amount per unit above it is refused here. Prices change after
    creation, so the engine also clamps a fixed line discount to the line at apply time.
    """
    errors: list[FieldError] = []
    if not cmd.name.strip() or len(cmd.name) > MAX_NAME:
        errors.append(invalid((*base, "name"), f"Name must be 1-{MAX_NAME} characters."))
    currency = _channels(cmd, channel_currencies, base, errors)
    _value(cmd, currency, base, errors)
    _codes(cmd, base, errors)
    _schedule_and_limits(cmd, currency, base, errors)
    _targets(cmd, lowest_prices, base, errors)
    _quantities(cmd, base, errors)
    return errors


def create_promotion(
    cmd: CreatePromotion,
    promotion_id: int,
    channel_currencies: Mapping[str, str],
    lowest_prices: Mapping[str, Decimal] | None = None,
) -> Promotion:
    """Validate and build in one step; raises DomainError listing every problem."""
    errors = validate_promotion(cmd, channel_currencies, lowest_prices)
    if errors:
        raise DomainError(errors)
    return build_promotion(cmd, promotion_id)


def build_promotion(cmd: CreatePromotion, promotion_id: int) -> Promotion:
    """The promotion to store, codes normalized; `cmd` must have passed `validate_promotion`."""
    return Promotion(
        id=promotion_id,
        name=cmd.name.strip(),
        kind=cmd.kind,
        value=cmd.value,
        channels=frozenset(cmd.channels),
        coupon_code=normalize_code(cmd.coupon_code) if cmd.coupon_code is not None else None,
        usage_limit=cmd.usage_limit,
        starts_at=cmd.starts_at,
        ends_at=cmd.ends_at,
        min_subtotal=cmd.min_subtotal,
        skus=frozenset(cmd.skus),
        categories=frozenset(cmd.categories),
        buy_quantity=cmd.buy_quantity,
        get_quantity=cmd.get_quantity,
        exclusive=cmd.exclusive,
        priority=cmd.priority,
        source_code=normalize_code(cmd.source_code) if cmd.source_code is not None else None,
    )


def _channels(
    cmd: CreatePromotion,
    channel_currencies: Mapping[str, str],
    base: tuple[str, ...],
    errors: list[FieldError],
) -> str | None:
    """The single currency of the promotion's channels, when there is one."""
    if not cmd.channels:
        errors.append(invalid((*base, "channels"), "Name at least one channel."))
    currencies: set[str] = set()
    for i, channel in enumerate(cmd.channels):
        if channel in cmd.channels[:i]:
            errors.append(
                invalid((*base, "channels", str(i)), f"Channel {channel} is listed twice.")
            )
        elif channel not in channel_currencies:
            errors.append(not_found((*base, "channels", str(i)), f"No channel {channel}."))
        else:
            currencies.add(channel_currencies[channel])
    if len(currencies) > 1 and (cmd.kind in FIXED_KINDS or cmd.min_subtotal is not None):
        errors.append(
            invalid(
                (*base, "channels"),
                "A fixed amount or minimum subtotal needs channels of one currency.",
            )
        )
    return currencies.pop() if len(currencies) == 1 else None


def _value(
    cmd: CreatePromotion, currency: str | None, base: tuple[str, ...], errors: list[FieldError]
) -> None:
    path = (*base, "value")
    if not cmd.value.is_finite():
        errors.append(invalid(path, "Value must be a number."))
    elif cmd.value < 0:
        errors.append(invalid(path, "Value must not be negative."))
    elif too_large(cmd.value):
        errors.append(invalid(path, "The amount is too large."))
    elif cmd.kind in PERCENT_KINDS and not 0 < cmd.value <= 100:
        errors.append(invalid(path, "A percentage must be more than 0 and at most 100."))
    elif cmd.kind in FIXED_KINDS and cmd.value == 0:
        errors.append(invalid(path, "A fixed discount must be more than 0."))
    elif cmd.kind in FIXED_KINDS and currency and round_money(cmd.value, currency) != cmd.value:
        errors.append(invalid(path, f"The amount has more decimals than {currency} allows."))
    elif (
        cmd.kind is PromotionKind.ORDER_FIXED
        and cmd.min_subtotal is not None
        and cmd.min_subtotal.is_finite()
        and cmd.value > cmd.min_subtotal
    ):
        errors.append(invalid(path, "A fixed order discount must not exceed the minimum subtotal."))


def _codes(cmd: CreatePromotion, base: tuple[str, ...], errors: list[FieldError]) -> None:
    for name, field in (("couponCode", cmd.coupon_code), ("sourceCode", cmd.source_code)):
        if field is not None and not CODE_PATTERN.match(normalize_code(field)):
            errors.append(invalid((*base, name), "Use 1-64 letters, digits, '-' or '_'."))


def _schedule_and_limits(
    cmd: CreatePromotion, currency: str | None, base: tuple[str, ...], errors: list[FieldError]
) -> None:
    for name, moment in (("startsAt", cmd.starts_at), ("endsAt", cmd.ends_at)):
        if moment is not None and moment.utcoffset() is None:
            errors.append(invalid((*base, name), "Give the time with its UTC offset."))
    starts, ends = cmd.starts_at, cmd.ends_at
    if (
        starts is not None
        and ends is not None
        and starts.utcoffset() is not None
        and ends.utcoffset() is not None
        and ends <= starts
    ):
        errors.append(invalid((*base, "endsAt"), "The end must come after the start."))
    if cmd.usage_limit is not None and not 1 <= cmd.usage_limit <= INT32_MAX:
        errors.append(invalid((*base, "usageLimit"), "A usage limit must be at least 1."))
    if cmd.min_subtotal is not None:
        path = (*base, "minSubtotal")
        if not cmd.min_subtotal.is_finite() or cmd.min_subtotal < 0:
            errors.append(invalid(path, "A minimum subtotal must not be negative."))
        elif too_large(cmd.min_subtotal):
            errors.append(invalid(path, "The amount is too large."))
        elif currency and round_money(cmd.min_subtotal, currency) != cmd.min_subtotal:
            errors.append(invalid(path, f"The amount has more decimals than {currency} allows."))
    if not -INT32_MAX <= cmd.priority <= INT32_MAX:
        errors.append(invalid((*base, "priority"), "Priority is out of range."))


def _targets(
    cmd: CreatePromotion,
    lowest_prices: Mapping[str, Decimal] | None,
    base: tuple[str, ...],
    errors: list[FieldError],
) -> None:
    for name, values in (("skus", cmd.skus), ("categories", cmd.categories)):
        if values and cmd.kind not in TARGETED_KINDS:
            errors.append(invalid((*base, name), f"{cmd.kind.value} applies to the whole order."))
            continue
        for i, value in enumerate(values):
            if not value.strip():
                errors.append(invalid((*base, name, str(i)), "Must not be empty."))
    if cmd.kind is not PromotionKind.LINE_FIXED or lowest_prices is None:
        return
    for sku, price in sorted(lowest_prices.items()):
        if cmd.value.is_finite() and cmd.value > price:
            message = f"The fixed discount is larger than the price of {sku} ({price})."
            errors.append(invalid((*base, "value"), message))
            return


def _quantities(cmd: CreatePromotion, base: tuple[str, ...], errors: list[FieldError]) -> None:
    pairs = (("buyQuantity", cmd.buy_quantity), ("getQuantity", cmd.get_quantity))
    if cmd.kind is PromotionKind.BUY_X_GET_Y:
        for name, quantity in pairs:
            if quantity is None or not 1 <= quantity <= 10_000:
                errors.append(invalid((*base, name), "Buy X get Y needs a quantity of 1-10000."))
        return
    for name, quantity in pairs:
        if quantity is not None:
            errors.append(invalid((*base, name), "Only BUY_X_GET_Y takes quantities."))
