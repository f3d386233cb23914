"""What inventory use cases need from persistence: positions and their journal, and the
per-channel ATP bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView
from domain.inventory.movements import Movement


class InventoryRepository(Protocol):
    async def variant_keys(self, skus: Iterable[str]) -> dict[str, tuple[int, bool]]:
        """SKU -> (variant id, whether it is a kit) for the SKUs that exist."""
        ...

    async def lock_positions(self, keys: Sequence[PositionKey]) -> dict[PositionKey, PositionState]:
        """Current state of each position, locked for this unit of work; missing ones are zero."""
        ...

    async def movements_since(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> dict[PositionKey, list[tuple[datetime, int]]]:
        """Non-count movements recorded after `since`, per position."""
        ...

    async def lock_counted(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> tuple[dict[PositionKey, PositionState], dict[PositionKey, list[tuple[datetime, int]]]]:
        """`lock_positions` then `movements_since`, in as few round trips as the database
        allows (counts need both)."""
        ...

    async def save_counts(
        self, counted: Sequence[tuple[PositionKey, PositionState, int]], now: datetime
    ) -> None:
        """Applied counts as (position, new state, delta): `save_positions` of the states
        and `journal_counts` of the deltas (asOf is the state's `last_as_of`), together."""
        ...

    async def claim_events(self, movements: Sequence[Movement]) -> set[str]:
        """Journal adjustments, each once per (scope, event id); returns the event ids
        that were new. The rest were recorded before (see `recorded_events`)."""
        ...

    async def recorded_events(self, scope: str, event_ids: Iterable[str]) -> dict[str, Movement]:
        """The journaled movement of each of these event ids of one scope."""
        ...

    async def journal_counts(
        self, counts: Sequence[tuple[PositionKey, int, datetime]], recorded_at: datetime
    ) -> None:
        """Journal absolute counts as (position, delta applied, asOf), reason "count".

        Plain tuples, not Movements: a CSV import journals ~30,000 counts a second, and a
        Movement per count (then a row dict) cost ~4 µs more per row on this machine, about
        10 % of the import's time; a tuple costs nothing measurable."""
        ...

    async def save_positions(
        self, states: Mapping[PositionKey, PositionState], now: datetime
    ) -> None: ...

    async def add_incoming(
        self, key: PositionKey, quantity: int, expected_at: date, reference: str | None
    ) -> None: ...


class ChannelAtpRepository(Protocol):
    """Views, the per-channel ATP sums ingest keeps current, and last published values."""

    async def views(self) -> list[tuple[InventoryView, str]]:
        """Every channel's view with its channel code."""
        ...

    async def upsert_view(self, view: InventoryView, now: datetime) -> InventoryView: ...

    async def add_atp_deltas(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        """Add (total, ship, pickup) deltas per (channel, variant); returns (new raw total,
        last published) for each."""
        ...

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None: ...

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]: ...

    async def kits_containing(
        self, component_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[tuple[int, int]]]]:
        """Kit id -> (kit SKU, [(component id, quantity)]) for every kit using these."""
        ...

    async def position_availability(
        self, location_ids: Sequence[int]
    ) -> list[tuple[int, str, int, PositionState]]:
        """(variant id, sku, location id, state) for every position at these locations."""
        ...

    async def published_for_channel(self, channel_id: int) -> dict[int, int]: ...

    async def sku_of(self, variant_id: int) -> str: ...

    async def replace_channel_atp(
        self,
        channel_id: int,
        raw: Mapping[int, tuple[int, int, int]],
        published: Mapping[int, int],
    ) -> None: ...


class InventoryPorts(Protocol):
    """Inventory's part of the unit of work."""

    @property
    def inventory(self) -> InventoryRepository: ...
    @property
    def channel_atp(self) -> ChannelAtpRepository: ...
