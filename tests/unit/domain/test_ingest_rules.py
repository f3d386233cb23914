"""Ingest rules: staleness, re-applied movements, clamping, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.inventory.ingest import (
    AdjustUpdate,
    PositionState,
    SetUpdate,
    apply_adjust,
    apply_set,
    is_stale,
    validate_adjust,
    validate_set,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_count_older_than_the_last_one_is_stale() -> None:
    state = PositionState(on_hand=5, last_as_of=NOW)
    assert is_stale(state, NOW - timedelta(seconds=1))
    assert not is_stale(state, NOW)
    assert not is_stale(PositionState(), NOW - timedelta(days=365))


@given(
    st.integers(0, 1000),
    st.lists(st.tuples(st.integers(-120, 120), st.integers(-50, 50)), max_size=20),
)
def test_movements_after_the_count_are_reapplied_and_earlier_ones_are_not(
    counted: int, movements: list[tuple[int, int]]
) -> None:
    as_of = NOW - timedelta(minutes=60)
    recorded = [(as_of + timedelta(minutes=m), d) for m, d in movements]
    state, clamped = apply_set(
        PositionState(on_hand=999), SetUpdate("A", "L", counted, as_of), recorded
    )
    later = sum(d for m, d in movements if m > 0)
    assert state.on_hand == max(0, counted + later)
    assert clamped == (counted + later < 0)
    assert state.last_as_of == as_of


def test_set_keeps_safety_stock_and_unsellable_unless_given() -> None:
    state = PositionState(on_hand=1, safety_stock=4, unsellable=2)
    kept, _ = apply_set(state, SetUpdate("A", "L", 9, NOW), [])
    assert (kept.safety_stock, kept.unsellable) == (4, 2)
    changed, _ = apply_set(state, SetUpdate("A", "L", 9, NOW, unsellable=0, safety_stock=1), [])
    assert (changed.safety_stock, changed.unsellable) == (1, 0)


def test_adjust_clamps_at_zero_and_says_so() -> None:
    assert apply_adjust(PositionState(on_hand=2), -5) == (PositionState(on_hand=0), True)
    assert apply_adjust(PositionState(on_hand=2), 3) == (PositionState(on_hand=5), False)


def test_validation_names_the_update_and_field() -> None:
    bad = SetUpdate("A", "L", -1, NOW + timedelta(hours=1))
    assert [(e.field, e.code.value) for e in validate_set(bad, 4, NOW)] == [
        (("updates", "4", "onHand"), "INVALID"),
        (("updates", "4", "asOf"), "INVALID"),
    ]
    naive = SetUpdate("A", "L", 1, NOW.replace(tzinfo=None))
    assert [e.field for e in validate_set(naive, 0, NOW)] == [("updates", "0", "asOf")]
    assert validate_set(SetUpdate("A", "L", 1, NOW + timedelta(minutes=4)), 0, NOW) == []
    assert [e.field[-1] for e in validate_adjust(AdjustUpdate("A", "L", 0, " ", ""), 2)] == [
        "delta",
        "eventId",
        "reason",
    ]
