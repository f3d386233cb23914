"""Restocked returns: units back into a location's onHand through the movement journal.

The journal entry (kind RETURN, event id `return:<id>:<sku>` in scope "returns", so a
receipt can never restock twice) is what lets a late absolute count stay right: a count
taken before the units came back and applied after re-applies them (CONTRACT.md). The
position is created if the location never stocked the SKU; channel ATP and the
availability feed move by what changed, as for every order use case (write_back).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.inventory.movements import Movement, MovementKind
from domain.orders.handlers.stock import ChannelStock, write_back
from domain.orders.plan import StockSnapshot
from domain.ports import UnitOfWork

RETURN_SCOPE = "returns"


async def restock(
    uow: UnitOfWork, location_id: int, units: Mapping[str, int], reference: str, now: datetime
) -> None:
    """Put `units` per SKU back at the location (positions locked in key order)."""
    units = {sku: n for sku, n in units.items() if n > 0}
    if not units:
        return
    variants = await uow.catalog.variants_by_sku(units)
    keys = sorted((variants[sku].id, location_id) for sku in units if sku in variants)
    states = await uow.inventory.lock_positions(keys)
    stock = ChannelStock(StockSnapshot({}, {}), None, variants, dict(states), dict(states))
    journal = []
    for sku, quantity in sorted(units.items()):
        if sku not in variants:
            continue  # a SKU deleted from the catalog since: nothing to restock into
        key = stock.key(sku, location_id)
        stock.change(key, on_hand=quantity)
        journal.append(
            Movement(
                *key,
                MovementKind.RETURN,
                quantity,
                now,
                reason=reference,
                event_id=f"{reference}:{sku}",
                scope=RETURN_SCOPE,
            )
        )
    await uow.inventory.claim_events(journal)
    await write_back(uow, stock, now)
