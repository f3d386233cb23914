"""Delivery and pickup timing: options configured per channel, and the dates they promise.

An order placed before the option's cut-off (in its time zone) on a working day starts that
day, otherwise on the next working day; it leaves after `handling_days` working days and
arrives `min_days`-`max_days` calendar days later, per the distance band of the shipment.
A pickup is ready `ready_minutes` of store opening hours after the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.errors import FieldError, invalid

WEEKDAYS = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True, slots=True)
class TransitBand:
    max_km: float | None  # None: any distance
    min_days: int
    max_days: int


@dataclass(frozen=True, slots=True)
class DeliveryOptionConfig:
    code: str
    name: str
    price: Decimal
    handling_days: int
    cutoff: time
    timezone: str
    bands: tuple[TransitBand, ...]
    countries: frozenset[str] = frozenset()  # empty: every country
    working_days: frozenset[int] = WEEKDAYS  # date.weekday() numbers the warehouse works


@dataclass(frozen=True, slots=True)
class PickupConfig:
    timezone: str = "UTC"
    ready_minutes: int = 120
    opens: time = time(9)
    closes: time = time(20)
    radius_km: float = 50.0
    max_options: int = 10
    hold_days: int = 7  # an uncollected pickup expires after this


def delivery_window(
    option: DeliveryOptionConfig,
    km: float | None,
    now: datetime,
    not_before: date | None = None,
) -> tuple[date, date] | None:
    """Earliest and latest delivery date of one shipment travelling `km` (None: unknown, so
    the widest band), or None when the option does not reach that far."""
    band = _band(option.bands, km)
    if band is None:
        return None
    local = now.astimezone(ZoneInfo(option.timezone))
    works = option.working_days or WEEKDAYS
    if not_before is not None and not_before > local.date():
        start = _next_working(not_before - timedelta(days=1), works)
    elif local.weekday() in works and local.time() < option.cutoff:
        start = local.date()
    else:
        start = _next_working(local.date(), works)
    dispatch = start
    for _ in range(option.handling_days):
        dispatch = _next_working(dispatch, works)
    return dispatch + timedelta(days=band.min_days), dispatch + timedelta(days=band.max_days)


def _band(bands: Sequence[TransitBand], km: float | None) -> TransitBand | None:
    ordered = sorted(bands, key=lambda b: float("inf") if b.max_km is None else b.max_km)
    if km is None:
        widest = ordered[-1] if ordered else None
        return widest if widest is not None and widest.max_km is None else None
    return next((b for b in ordered if b.max_km is None or km <= b.max_km), None)


def _next_working(day: date, works: frozenset[int]) -> date:
    day += timedelta(days=1)
    while day.weekday() not in works:
        day += timedelta(days=1)
    return day


def ready_by(pickup: PickupConfig, now: datetime) -> datetime:
    """When a pickup can be collected: `ready_minutes` of store opening hours from now."""
    local = now.astimezone(ZoneInfo(pickup.timezone))
    prep = timedelta(minutes=pickup.ready_minutes)
    opening = datetime.combine(local.date(), pickup.opens, local.tzinfo)
    if local < opening:
        return opening + prep
    if local + prep <= datetime.combine(local.date(), pickup.closes, local.tzinfo):
        return local + prep
    return opening + timedelta(days=1) + prep


def delivery_option_errors(
    option: DeliveryOptionConfig, base: Sequence[str] = ("deliveryOption",)
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not option.code.strip() or len(option.code) > 64:
        errors.append(invalid((*base, "code"), "A code is 1-64 characters."))
    if not option.price.is_finite() or option.price < 0:
        errors.append(invalid((*base, "price"), "The price must not be negative."))
    if option.handling_days < 0:
        errors.append(invalid((*base, "handlingDays"), "Handling days must not be negative."))
    if not option.bands or any(not 0 <= b.min_days <= b.max_days for b in option.bands):
        errors.append(invalid((*base, "bands"), "Give transit bands with 0 <= min <= max days."))
    try:
        ZoneInfo(option.timezone)
    except (ValueError, KeyError):
        errors.append(invalid((*base, "timezone"), f"Unknown time zone {option.timezone!r}."))
    return errors
