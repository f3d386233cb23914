"""Channel order settings (JSON columns) and channel prices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalog.model import Variant
from domain.locations.model import LocationKind
from domain.orders.delivery import DeliveryOptionConfig, PickupConfig, TransitBand
from domain.orders.ports import ChannelOrderSettings
from domain.orders.settings import default_settings
from domain.orders.sourcing_rules import SkuRule, SourcingConfig, SourcingStrategy
from domain.orders.tax import TaxRule, TaxTable
from persistence import direct, mappers
from persistence.database import Database, one_of_param
from persistence.tables import channel_order_settings, channels, prices, variants

_s = channel_order_settings.c
# Built once: every cart read and checkout runs these.
_SETTINGS = (
    select(channels.c.id, channels.c.code, channels.c.currency, channel_order_settings)
    .outerjoin(channel_order_settings, _s.channel_id == channels.c.id)
    .where(channels.c.code == bindparam("channel"))
)


@cache
def _sellable_query(is_sqlite: bool) -> Any:
    return (
        select(variants, prices.c.amount)
        .join(prices, prices.c.variant_id == variants.c.id)
        .where(
            prices.c.channel_id == bindparam("channel_id"),
            one_of_param(is_sqlite, variants.c.sku, "skus"),
        )
    )


class SqlChannelSettingsRepository:
    def __init__(self, conn: AsyncConnection, db: Database) -> None:
        self.conn = conn
        self.db = db

    async def settings(self, channel: str) -> ChannelOrderSettings | None:
        found = await direct.rows(self.conn, _SETTINGS, {"channel": channel})
        if not found:
            return None
        row = found[0]
        if row.taxes is None:
            return default_settings(row.code, row.currency, row.id)
        return settings_from(row, row.code, row.currency, row.id)

    async def save(self, settings: ChannelOrderSettings, now: datetime) -> None:
        values = {**settings_json(settings), "updated_at": now}
        stmt = self.db.insert(channel_order_settings).values(
            channel_id=settings.channel_id, **values
        )
        await self.conn.execute(
            stmt.on_conflict_do_update(index_elements=[_s.channel_id], set_=values)
        )

    async def prices(self, channel_id: int, skus: Iterable[str]) -> dict[str, Decimal]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        query = (
            select(variants.c.sku, prices.c.amount)
            .join(prices, prices.c.variant_id == variants.c.id)
            .where(prices.c.channel_id == channel_id, self.db.one_of(variants.c.sku, wanted))
        )
        return {row.sku: Decimal(row.amount) for row in await self.conn.execute(query)}

    async def sellable(
        self, channel_id: int, skus: Iterable[str]
    ) -> dict[str, tuple[Variant, Decimal]]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        query = _sellable_query(self.db.is_sqlite)
        return {
            row.sku: (mappers.variant(row), Decimal(row.amount))
            for row in await direct.rows(
                self.conn, query, {"channel_id": channel_id, "skus": wanted}
            )
        }


def _time(value: time) -> str:
    return value.strftime("%H:%M")


def settings_json(s: ChannelOrderSettings) -> dict[str, Any]:
    return {
        "taxes": {
            "pricesIncludeTax": s.taxes.prices_include_tax,
            "homeCountry": s.taxes.home_country,
            "rules": [
                {
                    "country": r.country,
                    "rate": str(r.rate),
                    "shippingTaxable": r.shipping_taxable,
                    "classRates": [[name, str(rate)] for name, rate in r.class_rates],
                }
                for r in s.taxes.rules
            ],
        },
        "sourcing": {
            "strategy": s.sourcing.strategy.value,
            "priority": list(s.sourcing.priority),
            "maxShipments": s.sourcing.max_shipments,
            "allowBackorder": s.sourcing.allow_backorder,
            "excludedKinds": sorted(k.value for k in s.sourcing.excluded_kinds),
            "skuRules": [
                {"sku": r.sku, "locationIds": sorted(r.location_ids)} for r in s.sourcing.sku_rules
            ],
            "distanceBandKm": s.sourcing.distance_band_km,
        },
        "delivery_options": [
            {
                "code": o.code,
                "name": o.name,
                "price": str(o.price),
                "handlingDays": o.handling_days,
                "cutoff": _time(o.cutoff),
                "timezone": o.timezone,
                "bands": [
                    {"maxKm": b.max_km, "minDays": b.min_days, "maxDays": b.max_days}
                    for b in o.bands
                ],
                "countries": sorted(o.countries),
                "workingDays": sorted(o.working_days),
            }
            for o in s.delivery_options
        ],
        "pickup": {
            "timezone": s.pickup.timezone,
            "readyMinutes": s.pickup.ready_minutes,
            "opens": _time(s.pickup.opens),
            "closes": _time(s.pickup.closes),
            "radiusKm": s.pickup.radius_km,
            "maxOptions": s.pickup.max_options,
            "holdDays": s.pickup.hold_days,
        },
        "number_prefix": s.number_prefix,
    }


def settings_from(row: Any, channel: str, currency: str, channel_id: int) -> ChannelOrderSettings:
    t, src, p = row.taxes, row.sourcing, row.pickup
    return ChannelOrderSettings(
        channel=channel,
        currency=currency,
        channel_id=channel_id,
        number_prefix=row.number_prefix,
        taxes=TaxTable(
            prices_include_tax=t["pricesIncludeTax"],
            home_country=t.get("homeCountry"),
            rules=tuple(
                TaxRule(
                    r["country"],
                    Decimal(r["rate"]),
                    r["shippingTaxable"],
                    tuple((name, Decimal(rate)) for name, rate in r["classRates"]),
                )
                for r in t["rules"]
            ),
        ),
        sourcing=SourcingConfig(
            strategy=SourcingStrategy(src["strategy"]),
            priority=tuple(src["priority"]),
            max_shipments=src["maxShipments"],
            allow_backorder=src["allowBackorder"],
            excluded_kinds=frozenset(LocationKind(k) for k in src["excludedKinds"]),
            sku_rules=tuple(
                SkuRule(r["sku"], frozenset(r["locationIds"])) for r in src["skuRules"]
            ),
            distance_band_km=src["distanceBandKm"],
        ),
        delivery_options=tuple(
            DeliveryOptionConfig(
                code=o["code"],
                name=o["name"],
                price=Decimal(o["price"]),
                handling_days=o["handlingDays"],
                cutoff=time.fromisoformat(o["cutoff"]),
                timezone=o["timezone"],
                bands=tuple(
                    TransitBand(b["maxKm"], b["minDays"], b["maxDays"]) for b in o["bands"]
                ),
                countries=frozenset(o["countries"]),
                working_days=frozenset(o["workingDays"]),
            )
            for o in row.delivery_options
        ),
        pickup=PickupConfig(
            timezone=p["timezone"],
            ready_minutes=p["readyMinutes"],
            opens=time.fromisoformat(p["opens"]),
            closes=time.fromisoformat(p["closes"]),
            radius_km=p["radiusKm"],
            max_options=p["maxOptions"],
            hold_days=p["holdDays"],
        ),
    )
