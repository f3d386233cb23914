"""A channel's order settings: defaults for a channel that configured nothing, and the
checks a new configuration must pass (channelOrderSettingsSet)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.errors import FieldError, invalid
from domain.orders.delivery import (
    DeliveryOptionConfig,
    PickupConfig,
    TransitBand,
    delivery_option_errors,
)
from domain.orders.ports import ChannelOrderSettings
from domain.orders.sourcing_rules import SourcingConfig
from domain.orders.tax import TaxTable, tax_table_errors

# Ships anywhere, free, 2-5 days after one working day: a channel can take orders before
# anyone configured delivery (the first five minutes), and nothing is charged that
# nobody decided to charge.
DEFAULT_DELIVERY = DeliveryOptionConfig(
    code="standard",
    name="Standard",
    price=Decimal(0),
    handling_days=1,
    cutoff=time(14),
    timezone="UTC",
    bands=(TransitBand(None, 2, 5),),
)
PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,30}$")
MAX_DELIVERY_OPTIONS = 20


@lru_cache(maxsize=256)
def default_settings(channel: str, currency: str, channel_id: int) -> ChannelOrderSettings:
    # Immutable all the way down: one object per channel serves every cart and checkout.
    return ChannelOrderSettings(
        channel=channel,
        currency=currency,
        taxes=TaxTable(prices_include_tax=False),
        sourcing=SourcingConfig(),
        delivery_options=(DEFAULT_DELIVERY,),
        pickup=PickupConfig(),
        channel_id=channel_id,
    )


def number_prefix(settings: ChannelOrderSettings) -> str:
    return settings.number_prefix or f"{settings.channel.upper()}-"


def order_number(settings: ChannelOrderSettings, sequence: int) -> str:
    return f"{number_prefix(settings)}{sequence}"


@dataclass(frozen=True, slots=True)
class SettingsInput:
    """Command: replace a channel's order settings (validated by `settings_errors`).
    Locations are named by code here (`priority`, `sku_rules`); the handler resolves them
    into `sourcing`'s ids."""

    channel: str
    taxes: TaxTable
    sourcing: SourcingConfig
    delivery_options: tuple[DeliveryOptionConfig, ...]
    pickup: PickupConfig
    number_prefix: str = ""
    priority: tuple[str, ...] = ()
    sku_rules: tuple[tuple[str, tuple[str, ...]], ...] = ()


def parse_clock(value: str, field: Sequence[str], errors: list[FieldError]) -> time:
    """`HH:MM` as a time; a bad value adds an error and reads as midnight."""
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        errors.append(invalid(field, "A time is HH:MM, e.g. 14:00."))
        return time(0)


def settings_errors(cmd: SettingsInput) -> list[FieldError]:
    base = ("input",)
    errors = tax_table_errors(cmd.taxes, (*base, "taxes", "rules"))
    codes: set[str] = set()
    if len(cmd.delivery_options) > MAX_DELIVERY_OPTIONS:
        errors.append(
            invalid((*base, "deliveryOptions"), f"At most {MAX_DELIVERY_OPTIONS} options.")
        )
    for i, option in enumerate(cmd.delivery_options):
        path = (*base, "deliveryOptions", str(i))
        errors += delivery_option_errors(option, path)
        if any(not 0 <= day <= 6 for day in option.working_days):
            errors.append(invalid((*path, "workingDays"), "Days are 0 (Monday) to 6 (Sunday)."))
        if option.code in codes:
            errors.append(invalid((*path, "code"), f"Code {option.code!r} is listed twice."))
        codes.add(option.code)
    sourcing = cmd.sourcing
    if sourcing.max_shipments is not None and sourcing.max_shipments < 1:
        errors.append(invalid((*base, "sourcing", "maxShipments"), "At least 1."))
    if not 0 <= sourcing.distance_band_km <= 1000:
        errors.append(invalid((*base, "sourcing", "distanceBandKm"), "Between 0 and 1000 km."))
    pickup = cmd.pickup
    if not 0 <= pickup.ready_minutes <= 14 * 24 * 60:
        errors.append(invalid((*base, "pickup", "readyMinutes"), "Between 0 and 14 days."))
    if pickup.opens >= pickup.closes:
        errors.append(invalid((*base, "pickup", "closes"), "Stores close after they open."))
    if not 0 < pickup.radius_km <= 1000:
        errors.append(invalid((*base, "pickup", "radiusKm"), "Between 0 and 1000 km."))
    if not 1 <= pickup.max_options <= 50:
        errors.append(invalid((*base, "pickup", "maxOptions"), "Between 1 and 50."))
    try:
        ZoneInfo(pickup.timezone)
    except (ValueError, KeyError):
        errors.append(invalid((*base, "pickup", "timezone"), "Unknown time zone."))
    if not 1 <= pickup.hold_days <= 90:
        errors.append(invalid((*base, "pickup", "holdDays"), "Between 1 and 90 days."))
    if cmd.number_prefix and not PREFIX.match(cmd.number_prefix):
        errors.append(invalid((*base, "numberPrefix"), "Up to 31 capital letters, digits or '-'."))
    return errors
