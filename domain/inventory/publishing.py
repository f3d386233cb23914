"""Turning position changes into channel ATP changes and `AvailabilityChanged` events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from domain.inventory.events import AvailabilityChanged
from domain.inventory.feed import PositionChange, atp_deltas, kit_value, published_value
from domain.inventory.model import InventoryView
from domain.locations.model import Location
from domain.ports import UnitOfWork


async def publish_changes(
    uow: UnitOfWork,
    changes: Sequence[PositionChange],
    now: datetime,
    locations: Mapping[int, Location] | None = None,
) -> None:
    """Move the channel sums by what changed and emit an event where published ATP moved.
    `locations` (every location by id) spares the read when the caller has them already."""
    changes = [c for c in changes if c.old_available != c.new_available]
    if not changes:
        return
    views = await uow.channel_atp.views()
    if not views:
        return
    if locations is None:
        locations = {location.id: location for location in await uow.locations.all()}
    by_channel = {view.channel_id: (view, code) for view, code in views}
    deltas = atp_deltas(changes, [view for view, _ in views], locations)
    if not deltas:
        return
    sums = await uow.channel_atp.add_atp_deltas(deltas)
    skus = {c.variant_id: c.sku for c in changes}
    updates: dict[tuple[int, int], int] = {}
    for (channel_id, variant_id), (raw_total, published) in sums.items():
        view, code = by_channel[channel_id]
        value = published_value(raw_total, view)
        if value != published:
            updates[(channel_id, variant_id)] = value
            uow.events.add(
                AvailabilityChanged(sku=skus[variant_id], channel=code, available=value, at=now)
            )
    await _publish_kits(uow, set(skus), by_channel, updates, now)
    await uow.channel_atp.set_published(updates)


async def _publish_kits(
    uow: UnitOfWork,
    component_ids: set[int],
    by_channel: Mapping[int, tuple[InventoryView, str]],
    updates: dict[tuple[int, int], int],
    now: datetime,
) -> None:
    """Kits follow their components: recompute those that use a changed component."""
    kits = await uow.channel_atp.kits_containing(component_ids)
    if not kits:
        return
    keys = [
        (channel_id, variant_id)
        for channel_id in by_channel
        for kit_id, (_, parts) in kits.items()
        for variant_id in (kit_id, *(component for component, _ in parts))
    ]
    current = await uow.channel_atp.published(keys)
    current.update(updates)
    for channel_id, (view, code) in by_channel.items():
        for kit_id, (kit_sku, parts) in kits.items():
            value = 0
            if kit_sku not in view.excluded_skus:
                value = kit_value((current.get((channel_id, c), 0), q) for c, q in parts)
            if value != current.get((channel_id, kit_id), 0):
                updates[(channel_id, kit_id)] = value
                uow.events.add(
                    AvailabilityChanged(sku=kit_sku, channel=code, available=value, at=now)
                )
