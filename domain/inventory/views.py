"""Channel inventory views: which locations count for a channel, and its buffers and caps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import DomainError, FieldError, duplicate, invalid, not_found
from domain.inventory.events import AvailabilityChanged
from domain.inventory.feed import channel_sums, kit_value, published_value
from domain.inventory.model import InventoryView
from domain.locations.model import LocationKind
from domain.ports import UnitOfWork
from domain.validation import CODE_LENGTH, MAX_INT, quantity, text, texts

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ViewSpec:
    code: str
    locations: tuple[str, ...]
    safety_buffer: int = 0
    safety_buffer_percent: int = 0
    max_available: int | None = None
    excluded_skus: tuple[str, ...] = ()
    excluded_location_kinds: tuple[LocationKind, ...] = ()


def validate_view(spec: ViewSpec) -> list[FieldError]:
    base = ("input",)
    errors: list[FieldError] = []
    if not CODE_PATTERN.fullmatch(spec.code):
        errors.append(invalid((*base, "code"), "Code must be 1-64 letters, digits or _.:-"))
    errors += quantity(spec.safety_buffer, (*base, "safetyBuffer"))
    if not 0 <= spec.safety_buffer_percent <= 100:
        errors.append(
            invalid((*base, "safetyBufferPercent"), "safetyBufferPercent must be 0 to 100.")
        )
    errors += quantity(spec.max_available, (*base, "maxAvailable"), maximum=MAX_INT)
    errors += texts(spec.excluded_skus, (*base, "excludedSkus"), CODE_LENGTH)
    errors += texts(spec.locations, (*base, "locations"), CODE_LENGTH)
    seen: set[str] = set()
    for i, code in enumerate(spec.locations):
        if code in seen:
            errors.append(duplicate((*base, "locations", str(i)), f"{code!r} is listed twice."))
        seen.add(code)
    return errors


async def upsert_view(
    channel_code: str, spec: ViewSpec, uow: UnitOfWork, now: datetime
) -> InventoryView:
    """Create or replace a channel's view, recompute its ATP and publish what moved."""
    errors = text(channel_code, ("channel",), CODE_LENGTH) + validate_view(spec)
    if errors:
        raise DomainError(errors)
    async with uow:
        channel = (await uow.catalog.channels_by_code([channel_code])).get(channel_code)
        if channel is None:
            raise DomainError([not_found(("channel",), f"Unknown channel {channel_code!r}.")])
        found = await uow.locations.by_codes(spec.locations)
        missing = [
            not_found(("input", "locations", str(i)), f"Unknown location {code!r}.")
            for i, code in enumerate(spec.locations)
            if code not in found
        ]
        if missing:
            raise DomainError(missing)
        view = await uow.channel_atp.upsert_view(
            InventoryView(
                id=0,
                channel_id=channel.id,
                code=spec.code,
                location_ids=tuple(found[code].id for code in spec.locations),
                safety_buffer=spec.safety_buffer,
                safety_buffer_percent=spec.safety_buffer_percent,
                max_available=spec.max_available,
                excluded_skus=frozenset(spec.excluded_skus),
                excluded_location_kinds=frozenset(spec.excluded_location_kinds),
            ),
            now,
        )
        await rebuild_channel(uow, view, channel_code, now)
        await uow.commit()
    return view


async def rebuild_channel(
    uow: UnitOfWork, view: InventoryView, channel_code: str, now: datetime
) -> None:
    """Recompute every SKU's ATP for one channel from positions, publishing the changes."""
    locations = {location.id: location for location in await uow.locations.all()}
    rows = await uow.channel_atp.position_availability(view.location_ids)
    skus = {variant_id: sku for variant_id, sku, _, _ in rows}
    raw = channel_sums(
        ((v, sku, loc, state.available) for v, sku, loc, state in rows), view, locations
    )
    published = {v: published_value(sums[0], view) for v, sums in raw.items()}
    before = await uow.channel_atp.published_for_channel(view.channel_id)
    kits = await uow.channel_atp.kits_containing(set(raw) | set(before))
    for kit_id, (kit_sku, parts) in kits.items():
        skus[kit_id] = kit_sku
        if kit_sku not in view.excluded_skus:
            published[kit_id] = kit_value((published.get(c, 0), q) for c, q in parts)
    for variant_id in set(published) | set(before):
        value = published.get(variant_id, 0)
        if value != before.get(variant_id, 0):
            sku = skus.get(variant_id) or await uow.channel_atp.sku_of(variant_id)
            uow.events.add(
                AvailabilityChanged(sku=sku, channel=channel_code, available=value, at=now)
            )
    await uow.channel_atp.replace_channel_atp(view.channel_id, raw, published)
