"""channelOrderSettingsSet input -> the domain's SettingsInput (defaults for what is left out)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from domain.errors import FieldError
from domain.locations.model import LocationKind
from domain.orders.delivery import WEEKDAYS, DeliveryOptionConfig, PickupConfig, TransitBand
from domain.orders.errors import raise_if
from domain.orders.settings import DEFAULT_DELIVERY, SettingsInput, parse_clock
from domain.orders.sourcing_rules import SourcingConfig, SourcingStrategy
from domain.orders.tax import TaxRule, TaxTable

if TYPE_CHECKING:
    from schema.order_inputs import ChannelOrderSettingsInput, DeliveryOptionInput


def settings_command(channel: str, data: ChannelOrderSettingsInput) -> SettingsInput:
    errors: list[FieldError] = []
    base = ("input",)
    taxes = TaxTable(prices_include_tax=False)
    if data.taxes is not None:
        t = data.taxes
        taxes = TaxTable(
            prices_include_tax=t.prices_include_tax,
            home_country=t.home_country,
            rules=tuple(
                TaxRule(
                    r.country,
                    Decimal(r.rate),
                    r.shipping_taxable,
                    tuple((c.tax_class, Decimal(c.rate)) for c in r.class_rates or ()),
                )
                for r in t.rules or ()
            ),
        )
    sourcing = SourcingConfig()
    priority: tuple[str, ...] = ()
    sku_rules: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if data.sourcing is not None:
        s = data.sourcing
        sourcing = SourcingConfig(
            strategy=SourcingStrategy(s.strategy.value),  # type: ignore[attr-defined]
            max_shipments=s.max_shipments,
            allow_backorder=s.allow_backorder,
            excluded_kinds=frozenset(
                LocationKind(k.value)  # type: ignore[attr-defined]
                for k in s.excluded_location_kinds or ()
            ),
            distance_band_km=s.distance_band_km,
        )
        priority = tuple(s.priority or ())
        sku_rules = tuple((rule.sku, tuple(rule.locations)) for rule in s.sku_rules or ())
    options: tuple[DeliveryOptionConfig, ...] = (DEFAULT_DELIVERY,)
    if data.delivery_options is not None:
        options = tuple(
            _option(o, (*base, "deliveryOptions", str(i)), errors)
            for i, o in enumerate(data.delivery_options)
        )
    pickup = PickupConfig()
    if data.pickup is not None:
        p = data.pickup
        pickup = PickupConfig(
            timezone=p.timezone,
            ready_minutes=p.ready_minutes,
            opens=parse_clock(p.opens, (*base, "pickup", "opens"), errors),
            closes=parse_clock(p.closes, (*base, "pickup", "closes"), errors),
            radius_km=p.radius_km,
            max_options=p.max_options,
            hold_days=p.hold_days,
        )
    raise_if(errors)
    return SettingsInput(
        channel=channel,
        taxes=taxes,
        sourcing=sourcing,
        delivery_options=options,
        pickup=pickup,
        number_prefix=data.number_prefix or "",
        priority=priority,
        sku_rules=sku_rules,
    )


def _option(
    o: DeliveryOptionInput, path: tuple[str, ...], errors: list[FieldError]
) -> DeliveryOptionConfig:
    return DeliveryOptionConfig(
        code=o.code,
        name=o.name,
        price=Decimal(o.price),
        handling_days=o.handling_days,
        cutoff=parse_clock(o.cutoff, (*path, "cutoff"), errors),
        timezone=o.timezone,
        bands=tuple(TransitBand(b.max_km, b.min_days, b.max_days) for b in o.bands),
        countries=frozenset(o.countries or ()),
        working_days=frozenset(o.working_days) if o.working_days is not None else WEEKDAYS,
    )
