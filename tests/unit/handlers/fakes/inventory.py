"""Inventory fakes: positions with their journal, and channel ATP bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from domain.inventory.ingest import PositionKey, PositionState
from domain.inventory.model import InventoryView
from domain.inventory.movements import Movement, MovementKind
from tests.unit.handlers.fakes.catalog import FakeCatalog


class FakeInventory:
    STATE = ("positions", "movements", "incoming")

    def __init__(self, catalog: FakeCatalog) -> None:
        self.catalog = catalog
        self.positions: dict[PositionKey, PositionState] = {}
        self.movements: list[Movement] = []
        self.incoming: list[tuple[PositionKey, int, date, str | None]] = []

    async def variant_keys(self, skus: Iterable[str]) -> dict[str, tuple[int, bool]]:
        found = await self.catalog.variants_by_sku(skus)
        return {sku: (variant.id, variant.is_kit) for sku, variant in found.items()}

    async def lock_counted(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> tuple[dict[PositionKey, PositionState], dict[PositionKey, list[tuple[datetime, int]]]]:
        return await self.lock_positions(keys), await self.movements_since(keys, since)

    async def save_counts(
        self, counted: Sequence[tuple[PositionKey, PositionState, int]], now: datetime
    ) -> None:
        await self.save_positions({key: state for key, state, _ in counted}, now)
        journal = []
        for key, state, delta in counted:
            assert state.last_as_of is not None
            journal.append((key, delta, state.last_as_of))
        await self.journal_counts(journal, now)

    async def lock_positions(self, keys: Sequence[PositionKey]) -> dict[PositionKey, PositionState]:
        for key in keys:
            self.positions.setdefault(key, PositionState())
        return {key: self.positions[key] for key in sorted(set(keys))}

    async def movements_since(
        self, keys: Sequence[PositionKey], since: datetime
    ) -> dict[PositionKey, list[tuple[datetime, int]]]:
        found: dict[PositionKey, list[tuple[datetime, int]]] = {}
        for move in self.movements:
            key = (move.variant_id, move.location_id)
            if key in keys and move.kind is not MovementKind.SET and move.recorded_at > since:
                found.setdefault(key, []).append((move.recorded_at, move.delta))
        return found

    async def claim_events(self, movements: Sequence[Movement]) -> set[str]:
        taken = {(m.scope, m.event_id) for m in self.movements if m.event_id is not None}
        claimed: set[str] = set()
        for move in movements:
            assert move.event_id is not None
            assert move.scope is not None
            if (move.scope, move.event_id) not in taken:
                taken.add((move.scope, move.event_id))
                self.movements.append(move)
                claimed.add(move.event_id)
        return claimed

    async def recorded_events(self, scope: str, event_ids: Iterable[str]) -> dict[str, Movement]:
        wanted = set(event_ids)
        return {
            m.event_id: m
            for m in self.movements
            if m.scope == scope and m.event_id is not None and m.event_id in wanted
        }

    async def journal_counts(
        self, counts: Sequence[tuple[PositionKey, int, datetime]], recorded_at: datetime
    ) -> None:
        self.movements.extend(
            Movement(*key, MovementKind.SET, delta, recorded_at, reason="count", as_of=as_of)
            for key, delta, as_of in counts
        )

    async def save_positions(
        self, states: Mapping[PositionKey, PositionState], now: datetime
    ) -> None:
        for key, state in states.items():
            # As the table: allocated and reserved belong to orders, not to ingest.
            held = self.positions[key]
            self.positions[key] = replace(state, allocated=held.allocated, reserved=held.reserved)

    async def add_incoming(
        self, key: PositionKey, quantity: int, expected_at: date, reference: str | None
    ) -> None:
        self.incoming.append((key, quantity, expected_at, reference))


class FakeChannelAtp:
    STATE = ("by_channel", "atp")

    def __init__(self, catalog: FakeCatalog, inventory: FakeInventory) -> None:
        self.catalog = catalog
        self.inventory = inventory
        self.by_channel: dict[int, InventoryView] = {}
        # (channel, variant) -> (raw total, raw ship, raw pickup, last published)
        self.atp: dict[tuple[int, int], tuple[int, int, int, int]] = {}

    async def views(self) -> list[tuple[InventoryView, str]]:
        return [(v, self.catalog.channel_code(ch)) for ch, v in self.by_channel.items()]

    async def upsert_view(self, view: InventoryView, now: datetime) -> InventoryView:
        held = self.by_channel.get(view.channel_id)
        stored = replace(view, id=held.id if held else len(self.by_channel) + 1)
        self.by_channel[view.channel_id] = stored
        return stored

    async def add_atp_deltas(
        self, deltas: Mapping[tuple[int, int], tuple[int, int, int]]
    ) -> dict[tuple[int, int], tuple[int, int]]:
        result: dict[tuple[int, int], tuple[int, int]] = {}
        for key, (total, ship, pickup) in deltas.items():
            t, s, p, published = self.atp.get(key, (0, 0, 0, 0))
            self.atp[key] = (t + total, s + ship, p + pickup, published)
            result[key] = (t + total, published)
        return result

    async def set_published(self, values: Mapping[tuple[int, int], int]) -> None:
        for key, value in values.items():
            t, s, p, _ = self.atp.get(key, (0, 0, 0, 0))
            self.atp[key] = (t, s, p, value)

    async def published(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        return {key: self.atp[key][3] for key in keys if key in self.atp}

    async def kits_containing(
        self, component_ids: Iterable[int]
    ) -> dict[int, tuple[str, list[tuple[int, int]]]]:
        wanted = set(component_ids)
        return {
            kit_id: (self.catalog.sku(kit_id), list(parts))
            for kit_id, parts in self.catalog.kits.items()
            if any(component in wanted for component, _ in parts)
        }

    async def position_availability(
        self, location_ids: Sequence[int]
    ) -> list[tuple[int, str, int, PositionState]]:
        return [
            (variant_id, self.catalog.sku(variant_id), location_id, state)
            for (variant_id, location_id), state in self.inventory.positions.items()
            if location_id in location_ids
        ]

    async def published_for_channel(self, channel_id: int) -> dict[int, int]:
        return {v: sums[3] for (ch, v), sums in self.atp.items() if ch == channel_id}

    async def sku_of(self, variant_id: int) -> str:
        return self.catalog.sku(variant_id)

    async def replace_channel_atp(
        self,
        channel_id: int,
        raw: Mapping[int, tuple[int, int, int]],
        published: Mapping[int, int],
    ) -> None:
        self.atp = {key: sums for key, sums in self.atp.items() if key[0] != channel_id}
        for variant_id in set(raw) | set(published):
            t, s, p = raw.get(variant_id, (0, 0, 0))
            self.atp[(channel_id, variant_id)] = (t, s, p, published.get(variant_id, 0))
