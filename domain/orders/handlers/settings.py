"""Configuring a channel's orders: taxes, sourcing, delivery options, pickup, numbering."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.access import Actor
from domain.errors import not_found
from domain.orders.errors import raise_if
from domain.orders.handlers.common import channel_settings
from domain.orders.ports import ChannelOrderSettings
from domain.orders.settings import SettingsInput, settings_errors
from domain.orders.sourcing_rules import SkuRule
from domain.ports import UnitOfWork


async def set_order_settings(
    cmd: SettingsInput, actor: Actor, uow: UnitOfWork, now: datetime
) -> ChannelOrderSettings:
    """Replace the channel's order settings as a whole (what is not sent is the default)."""
    raise_if(settings_errors(cmd))
    async with uow:
        current = await channel_settings(uow, cmd.channel, actor)
        codes = set(cmd.priority) | {code for _, codes in cmd.sku_rules for code in codes}
        found = await uow.locations.by_codes(codes)
        errors = [
            not_found(("input", "sourcing", "priority", str(i)), f"Unknown location {code!r}.")
            for i, code in enumerate(cmd.priority)
            if code not in found
        ]
        errors += [
            not_found(("input", "sourcing", "skuRules", str(i)), f"Unknown location {code!r}.")
            for i, (_, rule_codes) in enumerate(cmd.sku_rules)
            for code in rule_codes
            if code not in found
        ]
        raise_if(errors)
        sourcing = replace(
            cmd.sourcing,
            priority=tuple(found[code].id for code in cmd.priority),
            sku_rules=tuple(
                SkuRule(sku, frozenset(found[code].id for code in rule_codes))
                for sku, rule_codes in cmd.sku_rules
            ),
        )
        settings = replace(
            current,
            taxes=cmd.taxes,
            sourcing=sourcing,
            delivery_options=cmd.delivery_options,
            pickup=cmd.pickup,
            number_prefix=cmd.number_prefix,
        )
        await uow.channel_settings.save(settings, now)
        await uow.commit()
    return settings
