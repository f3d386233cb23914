"""Promotion use cases: `promotionCreate` (the rules: validation.py, docs/promotions.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from domain.access import Actor
from domain.errors import DomainError, FieldError, duplicate, invalid
from domain.ports import UnitOfWork
from domain.promotions.model import FIXED_KINDS, Promotion, PromotionKind, normalize_code
from domain.promotions.validation import (
    CODE_PATTERN,
    CreatePromotion,
    build_promotion,
    validate_promotion,
)

# Values are stored as NUMERIC(18, 4): a finer percentage would be silently rounded
# (validation refuses amounts of 10^14 and more).
VALUE_DIGITS = 4
MAX_TARGETS = 1000


async def create_promotion(
    cmd: CreatePromotion, actor: Actor, uow: UnitOfWork, now: datetime
) -> Promotion:
    """Store a valid promotion, or change nothing and list every problem. A channel-bound
    token creates promotions of its own channel only (another channel reads NOT_FOUND)."""
    async with uow:
        found = await uow.catalog.channels_by_code(cmd.channels)
        visible = {code: ch for code, ch in found.items() if actor.sees_channel(code)}
        lowest = await _lowest_prices(uow, cmd, visible)
        errors = validate_promotion(
            cmd, {code: ch.currency for code, ch in visible.items()}, lowest
        )
        errors += _precision(cmd) + _storable(cmd)
        errors += await _taken(uow, cmd)
        if errors:
            raise DomainError(errors)
        built = build_promotion(cmd, 0)
        # As it reads back: amounts without padding zeros, instants in UTC.
        promotion = replace(
            built,
            value=plain(built.value),
            min_subtotal=plain(built.min_subtotal) if built.min_subtotal is not None else None,
            starts_at=built.starts_at.astimezone(UTC) if built.starts_at else None,
            ends_at=built.ends_at.astimezone(UTC) if built.ends_at else None,
        )
        promotion_id = await uow.promotions.add(
            promotion, {code: ch.id for code, ch in visible.items()}, now
        )
        await uow.commit()
    return replace(promotion, id=promotion_id)


def plain(amount: Decimal) -> Decimal:
    """An amount without padding zeros ("10.0000" -> "10", "12.50" -> "12.5"): the same
    whether it was just sent or read back from a NUMERIC(18, 4) column."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.normalize()


async def _lowest_prices(
    uow: UnitOfWork, cmd: CreatePromotion, channels: Mapping[str, object]
) -> dict[str, Decimal] | None:
    """For a LINE_FIXED by SKU: each SKU's lowest price in the promotion's channels (an
    amount per unit above it is refused; prices moving later are clamped by the engine)."""
    if cmd.kind is not PromotionKind.LINE_FIXED or not cmd.skus or not channels:
        return None
    settings = [await uow.channel_settings.settings(code) for code in sorted(channels)]
    lowest: dict[str, Decimal] = {}
    for found in settings:
        if found is None:
            continue
        for sku, (_, price) in (
            await uow.channel_settings.sellable(found.channel_id, cmd.skus)
        ).items():
            lowest[sku] = min(price, lowest.get(sku, price))
    return lowest


def _precision(cmd: CreatePromotion) -> list[FieldError]:
    exponent = cmd.value.as_tuple().exponent
    if cmd.kind in FIXED_KINDS or not isinstance(exponent, int) or -exponent <= VALUE_DIGITS:
        return []  # fixed amounts are checked against the currency by validation
    return [invalid(("input", "value"), f"At most {VALUE_DIGITS} decimals.")]


def _storable(cmd: CreatePromotion) -> list[FieldError]:
    """What validation leaves to storage: sizes, NUL characters, instants UTC can hold."""
    base = ("input",)
    errors: list[FieldError] = []
    if "\x00" in cmd.name:
        errors.append(invalid((*base, "name"), "Must not contain NUL characters."))
    for name, values in (("skus", cmd.skus), ("categories", cmd.categories)):
        if len(values) > MAX_TARGETS:
            errors.append(invalid((*base, name), f"At most {MAX_TARGETS}."))
            continue
        errors += [
            invalid((*base, name, str(i)), "Use at most 64 characters, no NUL.")
            for i, value in enumerate(values)
            if len(value) > 64 or "\x00" in value
        ]
    for name, moment in (("startsAt", cmd.starts_at), ("endsAt", cmd.ends_at)):
        if moment is None or moment.utcoffset() is None:
            continue
        try:
            moment.astimezone(UTC)
        except OverflowError:
            errors.append(invalid((*base, name), "Out of range."))
    return errors


async def _taken(uow: UnitOfWork, cmd: CreatePromotion) -> list[FieldError]:
    if cmd.coupon_code is None or not CODE_PATTERN.match(normalize_code(cmd.coupon_code)):
        return []
    code = normalize_code(cmd.coupon_code)
    if await uow.promotions.taken_coupon_codes([code]):
        return [duplicate(("input", "couponCode"), f"Coupon code {code} is already in use.")]
    return []
