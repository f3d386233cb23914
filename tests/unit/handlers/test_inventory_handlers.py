"""Inventory use cases against the fakes: counts, movements with event ids, incoming supply
and view upserts, with the events each commits and proof that a refused one changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest

from domain.access import SYSTEM, Actor
from domain.catalog.handlers import create_channel, create_product
from domain.catalog.model import ComponentSpec, CreateChannel, CreateProduct, VariantSpec
from domain.errors import DomainError, ErrorCode, FieldError
from domain.inventory.events import AvailabilityChanged
from domain.inventory.handlers import add_incoming_supply, adjust_inventory, set_inventory
from domain.inventory.ingest import AdjustUpdate, PositionState, SetUpdate
from domain.inventory.movements import MovementKind
from domain.inventory.views import ViewSpec, upsert_view
from domain.locations.handlers import create_location
from domain.locations.model import CreateLocation, LocationKind
from tests.unit.handlers.fakes.uow import FakeUnitOfWork

T = TypeVar("T")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TILL_1 = Actor(name="partner:till-1", token_id=1)
TILL_2 = Actor(name="partner:till-2", token_id=2)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def world() -> FakeUnitOfWork:
    """Channel `web` counting warehouse `wh` and store `st`; TEE, SOCK and KIT = 2 x TEE."""
    uow = FakeUnitOfWork()
    run(create_channel(CreateChannel("web", "Web", "EUR"), uow))
    for code, kind in (("wh", LocationKind.WAREHOUSE), ("st", LocationKind.STORE)):
        cmd = CreateLocation(code, code, kind, can_ship=True, can_pickup=code == "st")
        run(create_location(cmd, uow))
    variants = (
        VariantSpec("TEE", "Tee"),
        VariantSpec("SOCK", "Sock"),
        VariantSpec("KIT", "Kit", kit_components=(ComponentSpec("TEE", 2),)),
    )
    run(create_product(CreateProduct("tee", "Tee", variants), uow))
    run(upsert_view("web", ViewSpec("web", ("wh", "st")), uow, NOW))
    uow.published.clear()
    uow.outbox.clear()
    return uow


def on_hand(uow: FakeUnitOfWork, sku: str, location: str) -> int:
    key = (uow.catalog.variants[sku].id, uow.locations.locations[location].id)
    return uow.inventory.positions.get(key, PositionState()).on_hand


def count(sku: str, location: str, quantity: int, minutes_ago: int = 1) -> SetUpdate:
    return SetUpdate(sku, location, quantity, NOW - timedelta(minutes=minutes_ago))


def sale(event_id: str, sku: str = "TEE", delta: int = -1, location: str = "wh") -> AdjustUpdate:
    return AdjustUpdate(sku, location, delta, "sale", event_id)


def errors(found: list[FieldError]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(e.field, e.code) for e in found]


def changed(sku: str, available: int) -> AvailabilityChanged:
    return AvailabilityChanged(sku=sku, channel="web", available=available, at=NOW)


def test_a_count_sets_on_hand_journals_it_and_publishes_the_sku_and_its_kits() -> None:
    uow = world()
    result = run(set_inventory([count("TEE", "wh", 10)], SYSTEM, uow, NOW))
    assert (result.applied, result.errors) == (1, [])
    assert on_hand(uow, "TEE", "wh") == 10
    [movement] = uow.inventory.movements
    assert (movement.kind, movement.delta, movement.reason) == (MovementKind.SET, 10, "count")
    assert uow.published == [changed("TEE", 10), changed("KIT", 5)]
    # The rows the outbox gets (what the availabilityChanged subscription reads): the
    # commit's run of availability events in one row, in the order raised.
    assert uow.outbox[0] == (
        "availability",
        [
            {"sku": "TEE", "channel": "web", "available": 10, "at": "2026-03-02T12:00:00+00:00"},
            {"sku": "KIT", "channel": "web", "available": 5, "at": "2026-03-02T12:00:00+00:00"},
        ],
        2,
    )


def test_an_older_count_is_stale_and_changes_nothing() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10, minutes_ago=1)], SYSTEM, uow, NOW))
    published = list(uow.published)
    result = run(set_inventory([count("TEE", "wh", 3, minutes_ago=5)], SYSTEM, uow, NOW))
    assert (result.applied, result.stale) == (0, 1)
    assert on_hand(uow, "TEE", "wh") == 10
    assert uow.published == published


def test_a_late_count_re_applies_the_movements_recorded_after_it() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10, minutes_ago=30)], SYSTEM, uow, NOW))
    run(adjust_inventory([sale("s-1", delta=-3)], TILL_1, uow, NOW - timedelta(minutes=10)))
    # Counted 20 minutes ago (before the sale was recorded): the sale still happened.
    result = run(set_inventory([count("TEE", "wh", 10, minutes_ago=20)], SYSTEM, uow, NOW))
    assert result.applied == 1
    assert on_hand(uow, "TEE", "wh") == 7


def test_bad_updates_are_refused_one_by_one_and_the_rest_applies() -> None:
    uow = world()
    store_clerk = Actor(name="partner:store", location="st", token_id=3)
    updates = [
        count("NOPE", "st", 1),
        count("TEE", "nowhere", 1),
        count("TEE", "wh", 1),
        count("KIT", "st", 1),
        count("SOCK", "st", 4),
        count("SOCK", "st", 5),
    ]
    result = run(set_inventory(updates, store_clerk, uow, NOW))
    assert errors(result.errors) == [
        (("updates", "0", "sku"), ErrorCode.NOT_FOUND),
        (("updates", "1", "location"), ErrorCode.NOT_FOUND),
        (("updates", "2", "location"), ErrorCode.FORBIDDEN),
        (("updates", "3", "sku"), ErrorCode.INVALID),
        (("updates", "5", "sku"), ErrorCode.DUPLICATE),
    ]
    assert result.applied == 1
    assert on_hand(uow, "SOCK", "st") == 4
    assert on_hand(uow, "TEE", "wh") == 0


def test_an_event_id_counts_once_per_caller_and_each_caller_has_its_own() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10)], SYSTEM, uow, NOW))
    first = run(adjust_inventory([sale("sale-1")], TILL_1, uow, NOW))
    again = run(adjust_inventory([sale("sale-1")], TILL_1, uow, NOW))
    other_till = run(adjust_inventory([sale("sale-1")], TILL_2, uow, NOW))
    assert (first.applied, first.duplicates) == (1, 0)
    assert (again.applied, again.duplicates, again.errors) == (0, 1, [])
    assert (other_till.applied, other_till.duplicates) == (1, 0)
    assert on_hand(uow, "TEE", "wh") == 8


def test_an_event_id_reused_for_another_movement_is_a_conflict_that_changes_nothing() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10), count("SOCK", "wh", 10)], SYSTEM, uow, NOW))
    run(adjust_inventory([sale("sale-1")], TILL_1, uow, NOW))
    published = list(uow.published)
    reused = [sale("sale-1", delta=-2), sale("sale-1", sku="SOCK"), sale("sale-1", location="st")]
    result = run(adjust_inventory(reused, TILL_1, uow, NOW))
    assert errors(result.errors) == [
        (("updates", "0", "eventId"), ErrorCode.CONFLICT),
        (("updates", "1", "eventId"), ErrorCode.CONFLICT),
        (("updates", "2", "eventId"), ErrorCode.CONFLICT),
    ]
    assert (result.applied, result.duplicates) == (0, 0)
    assert (on_hand(uow, "TEE", "wh"), on_hand(uow, "SOCK", "wh")) == (9, 10)
    assert uow.published == published


def test_an_event_id_repeated_in_one_batch_applies_once_and_conflicts_if_it_differs() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10)], SYSTEM, uow, NOW))
    batch = [sale("e-1"), sale("e-2", delta=-2), sale("e-1"), sale("e-1", delta=-5)]
    result = run(adjust_inventory(batch, TILL_1, uow, NOW))
    assert (result.applied, result.duplicates) == (2, 1)
    assert errors(result.errors) == [(("updates", "3", "eventId"), ErrorCode.CONFLICT)]
    assert on_hand(uow, "TEE", "wh") == 7


def test_a_sale_beyond_stock_clamps_at_zero_and_is_journaled_in_full() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 2)], SYSTEM, uow, NOW))
    result = run(adjust_inventory([sale("big", delta=-5)], TILL_1, uow, NOW))
    assert (result.applied, result.clamped) == (1, 1)
    assert on_hand(uow, "TEE", "wh") == 0
    assert uow.inventory.movements[-1].delta == -5
    assert uow.published[-2:] == [changed("TEE", 0), changed("KIT", 0)]


def test_incoming_supply_is_recorded_for_a_known_position_with_a_future_date() -> None:
    uow = world()
    today = NOW.date()
    result = run(add_incoming_supply("TEE", "wh", 40, date(2026, 3, 9), "PO-1", SYSTEM, uow, today))
    assert (result.applied, result.errors) == (1, [])
    key = (uow.catalog.variants["TEE"].id, uow.locations.locations["wh"].id)
    assert uow.inventory.incoming == [(key, 40, date(2026, 3, 9), "PO-1")]
    assert key in uow.inventory.positions  # the supply shows before any stock does
    past = run(add_incoming_supply("TEE", "wh", 0, date(2026, 3, 1), None, SYSTEM, uow, today))
    assert errors(past.errors) == [
        (("quantity",), ErrorCode.INVALID),
        (("expectedAt",), ErrorCode.INVALID),
    ]
    unknown = run(add_incoming_supply("NOPE", "wh", 1, today, None, SYSTEM, uow, today))
    assert errors(unknown.errors) == [(("sku",), ErrorCode.NOT_FOUND)]
    assert len(uow.inventory.incoming) == 1


def test_a_view_upsert_recomputes_the_channel_and_publishes_only_what_moved() -> None:
    uow = world()
    run(set_inventory([count("TEE", "wh", 10), count("TEE", "st", 4)], SYSTEM, uow, NOW))
    uow.published.clear()
    view = run(upsert_view("web", ViewSpec("web", ("wh",), safety_buffer=1), uow, NOW))
    assert view.location_ids == (uow.locations.locations["wh"].id,)
    assert uow.published == [changed("TEE", 9), changed("KIT", 4)]
    run(upsert_view("web", ViewSpec("web", ("wh",), safety_buffer=1), uow, NOW))
    assert len(uow.published) == 2  # nothing moved the second time


def test_a_view_upsert_with_unknown_references_is_refused_without_commit() -> None:
    uow = world()
    commits, views = uow.commits, dict(uow.channel_atp.by_channel)
    with pytest.raises(DomainError) as refused:
        run(upsert_view("web", ViewSpec("web", ("wh", "gone")), uow, NOW))
    assert [(e.field, e.code) for e in refused.value.errors] == [
        (("input", "locations", "1"), ErrorCode.NOT_FOUND)
    ]
    with pytest.raises(DomainError) as unknown:
        run(upsert_view("nope", ViewSpec("nope", ("wh",)), uow, NOW))
    assert [(e.field, e.code) for e in unknown.value.errors] == [
        (("channel",), ErrorCode.NOT_FOUND)
    ]
    assert (uow.commits, uow.channel_atp.by_channel) == (commits, views)


def test_a_failure_after_the_writes_rolls_back_positions_journal_and_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = world()

    async def broken(values: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(uow.channel_atp, "set_published", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        run(adjust_inventory([sale("e-1", delta=5)], TILL_1, uow, NOW))
    assert on_hand(uow, "TEE", "wh") == 0
    assert uow.inventory.movements == []
    assert uow.outbox == []
    # The event id was not used up: the retry applies.
    monkeypatch.undo()
    retry = run(adjust_inventory([sale("e-1", delta=5)], TILL_1, uow, NOW))
    assert retry.applied == 1
    assert on_hand(uow, "TEE", "wh") == 5
