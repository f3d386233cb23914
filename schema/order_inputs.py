"""Inputs of a channel's order settings (channelOrderSettingsSet). Shapes only."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.orders.sourcing_rules import SourcingStrategy as DomainStrategy
from schema.common import LocationKind

SourcingStrategy = strawberry.enum(DomainStrategy, name="SourcingStrategy")


@strawberry.input
class TaxClassRateInput:
    tax_class: str
    rate: Decimal


@strawberry.input(description="A rate per destination country, e.g. 0.20 for 20 %.")
class TaxRuleInput:
    country: str
    rate: Decimal
    shipping_taxable: bool = True
    class_rates: list[TaxClassRateInput] | None = None


@strawberry.input
class TaxTableInput:
    prices_include_tax: bool
    home_country: str | None = None
    rules: list[TaxRuleInput] | None = None


@strawberry.input(description="SKU X ships only from these locations.")
class SkuRuleInput:
    sku: str
    locations: list[str]


@strawberry.input
class SourcingInput:
    strategy: SourcingStrategy = DomainStrategy.FEWEST_SHIPMENTS  # type: ignore[valid-type]
    priority: list[str] | None = None
    max_shipments: int | None = None
    allow_backorder: bool = False
    excluded_location_kinds: list[LocationKind] | None = None  # type: ignore[valid-type]
    sku_rules: list[SkuRuleInput] | None = None
    distance_band_km: float = 10.0


@strawberry.input
class TransitBandInput:
    min_days: int
    max_days: int
    max_km: float | None = None


@strawberry.input
class DeliveryOptionInput:
    code: str
    name: str
    price: Decimal
    bands: list[TransitBandInput]
    handling_days: int = 1
    cutoff: str = strawberry.field(default="14:00", description="HH:MM in `timezone`.")
    timezone: str = "UTC"
    countries: list[str] | None = None
    working_days: list[int] | None = strawberry.field(
        default=None, description="0 = Monday ... 6 = Sunday; Monday-Friday by default."
    )


@strawberry.input
class PickupSettingsInput:
    timezone: str = "UTC"
    ready_minutes: int = 120
    opens: str = "09:00"
    closes: str = "20:00"
    radius_km: float = 50.0
    max_options: int = 10
    hold_days: int = 7


@strawberry.input
class ChannelOrderSettingsInput:
    taxes: TaxTableInput | None = None
    sourcing: SourcingInput | None = None
    delivery_options: list[DeliveryOptionInput] | None = None
    pickup: PickupSettingsInput | None = None
    number_prefix: str | None = None
