"""Inventory use cases: absolute counts, deltas, incoming supply, channel views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from domain.access import Actor
from domain.errors import DomainError, FieldError, forbidden, invalid, not_found
from domain.inventory.feed import PositionChange
from domain.inventory.ingest import (
    CLOCK_SKEW,
    AdjustUpdate,
    BatchResult,
    PositionKey,
    PositionState,
    SetUpdate,
    apply_adjust,
    apply_set,
    duplicate_in_batch,
    is_stale,
    set_is_valid,
    update_path,
    validate_adjust,
    validate_batch_size,
    validate_incoming,
    validate_set,
)
from domain.inventory.movements import Movement, MovementKind, event_conflict
from domain.inventory.publishing import publish_changes
from domain.ports import UnitOfWork

Update = SetUpdate | AdjustUpdate
U = TypeVar("U", SetUpdate, AdjustUpdate)


@dataclass(slots=True)
class _Resolved:
    index: int
    update: Update
    key: PositionKey
    sku: str


async def _resolve(
    updates: Sequence[tuple[int, Update]], actor: Actor, uow: UnitOfWork
) -> tuple[list[_Resolved], list[FieldError]]:
    """Known SKU, known location, and a location the caller may act on."""
    variants = await uow.inventory.variant_keys({u.sku for _, u in updates})
    locations = await uow.locations.by_codes({u.location for _, u in updates})
    resolved: list[_Resolved] = []
    errors: list[FieldError] = []
    for index, update in updates:
        variant = variants.get(update.sku)
        location = locations.get(update.location)
        if variant is None:
            errors.append(not_found(update_path(index, "sku"), f"Unknown SKU {update.sku!r}."))
        elif location is None:
            errors.append(
                not_found(update_path(index, "location"), f"Unknown location {update.location!r}.")
            )
        elif not actor.may_act_on_location(update.location):
            errors.append(
                forbidden(
                    update_path(index, "location"), "This token may not update that location."
                )
            )
        elif variant[1]:
            errors.append(
                invalid(
                    update_path(index, "sku"), "A kit has no stock of its own; update its parts."
                )
            )
        else:
            resolved.append(_Resolved(index, update, (variant[0], location.id), update.sku))
    return resolved, errors


def _changes(
    before: dict[PositionKey, PositionState],
    after: dict[PositionKey, PositionState],
    skus: dict[PositionKey, str],
) -> list[PositionChange]:
    # Only the positions whose availability moved: nothing else can move channel ATP.
    changes: list[PositionChange] = []
    for key, state in after.items():
        old, new = before[key].available, state.available
        if old != new:
            changes.append(PositionChange(key[0], skus[key], key[1], old, new))
    return changes


def _screen(
    updates: Sequence[U],
    validate: Callable[[U, int], list[FieldError]],
    valid: Callable[[U], bool] | None = None,
) -> tuple[BatchResult, list[tuple[int, Update]]]:
    """The batch-size limit, then each update's own checks; returns what may go on.
    `valid`, when given, vouches for an update without `validate` building its lists."""
    result = BatchResult(errors=validate_batch_size(len(updates)))
    if result.errors:
        return result, []
    candidates: list[tuple[int, Update]] = []
    for index, update in enumerate(updates):
        if valid is not None and valid(update):
            candidates.append((index, update))
            continue
        problems = validate(update, index)
        result.errors.extend(problems)
        if not problems:
            candidates.append((index, update))
    return result, candidates


async def set_inventory(
    updates: Sequence[SetUpdate], actor: Actor, uow: UnitOfWork, now: datetime
) -> BatchResult:
    """Apply absolute counts. Stale ones change nothing; later movements are re-applied."""
    latest, times = now + CLOCK_SKEW, dict[datetime, bool]()
    result, candidates = _screen(
        updates, lambda u, i: validate_set(u, i, now), lambda u: set_is_valid(u, latest, times)
    )
    if not candidates:
        return result
    async with uow:
        resolved, errors = await _resolve(candidates, actor, uow)
        result.errors.extend(errors)
        first_at: dict[PositionKey, int] = {}
        accepted: list[_Resolved] = []
        for item in resolved:
            if item.key in first_at:
                result.errors.append(duplicate_in_batch(item.index, first_at[item.key]))
                continue
            first_at[item.key] = item.index
            accepted.append(item)
        if accepted:
            keys = [item.key for item in accepted]
            since = min(
                item.update.as_of for item in accepted if isinstance(item.update, SetUpdate)
            )
            before, movements = await uow.inventory.lock_counted(keys, since)
            counted: list[tuple[PositionKey, PositionState, int]] = []
            changes: list[PositionChange] = []
            for item in accepted:
                update = item.update
                assert isinstance(update, SetUpdate)
                state = before[item.key]
                if is_stale(state, update.as_of):
                    result.stale += 1
                    continue
                new, clamped = apply_set(state, update, movements.get(item.key, ()))
                result.applied += 1
                result.clamped += int(clamped)
                counted.append((item.key, new, new.on_hand - state.on_hand))
                # Only positions whose availability moved can move channel ATP.
                if (old_available := state.available) != (new_available := new.available):
                    key = item.key
                    changes.append(
                        PositionChange(key[0], item.sku, key[1], old_available, new_available)
                    )
            await uow.inventory.save_counts(counted, now)
            await publish_changes(uow, changes, now)
        await uow.commit()
    return result


async def adjust_inventory(
    updates: Sequence[AdjustUpdate], actor: Actor, uow: UnitOfWork, now: datetime
) -> BatchResult:
    """Apply relative movements once per eventId of the caller (`actor.caller_id`).

    An eventId sent again with the same movement is a duplicate and changes nothing; sent
    with a different movement it is a CONFLICT for that update. Other callers' ids are
    their own: two tills may both send "sale-1".
    """
    result, candidates = _screen(updates, validate_adjust)
    if not candidates:
        return result
    async with uow:
        resolved, errors = await _resolve(candidates, actor, uow)
        result.errors.extend(errors)
        if resolved:
            before = await uow.inventory.lock_positions([item.key for item in resolved])
            moves = [(item, _movement(item, actor.caller_id, now)) for item in resolved]
            first: dict[str, Movement] = {}
            for _, (event_id, move) in moves:
                first.setdefault(event_id, move)
            claimed = await uow.inventory.claim_events(list(first.values()))
            recorded = await uow.inventory.recorded_events(
                actor.caller_id, [event_id for event_id in first if event_id not in claimed]
            )
            # What this batch sent first, for ids it claimed; what was journaled before,
            # for the others.
            recorded.update((event_id, first[event_id]) for event_id in claimed)
            states = dict(before)
            after: dict[PositionKey, PositionState] = {}
            for item, (event_id, move) in moves:
                if event_id in claimed and first[event_id] is move:
                    new, clamped = apply_adjust(states[item.key], move.delta)
                    states[item.key] = after[item.key] = new
                    result.applied += 1
                    result.clamped += int(clamped)
                elif move.same_event(recorded[event_id]):
                    result.duplicates += 1
                else:
                    result.errors.append(event_conflict(item.index, event_id))
            if not after:
                # Nothing applied (duplicates and conflicts only): leaving without a
                # commit rolls back the positions the lock created for this batch, so a
                # refused batch changes nothing.
                return result
            await uow.inventory.save_positions(after, now)
            skus = {item.key: item.sku for item in resolved}
            await publish_changes(uow, _changes(before, after, skus), now)
        await uow.commit()
    return result


def _movement(item: _Resolved, scope: str, now: datetime) -> tuple[str, Movement]:
    move = item.update
    assert isinstance(move, AdjustUpdate)
    journaled = Movement(
        *item.key,
        MovementKind.ADJUST,
        move.delta,
        now,
        reason=move.reason[:200],
        event_id=move.event_id,
        scope=scope,
    )
    return move.event_id, journaled


async def add_incoming_supply(
    sku: str,
    location: str,
    quantity: int,
    expected_at: date,
    reference: str | None,
    actor: Actor,
    uow: UnitOfWork,
    today: date,
) -> BatchResult:
    """Record expected supply (e.g. a purchase order) for backorder and preorder promises."""
    result = BatchResult(errors=validate_incoming(quantity, expected_at, reference, today))
    if result.errors:
        return result
    async with uow:
        update = AdjustUpdate(sku, location, quantity, "incoming", "-")
        resolved, errors = await _resolve([(0, update)], actor, uow)
        if errors:
            result.errors.extend(FieldError((e.field[-1],), e.code, e.message) for e in errors)
            return result
        # The position exists from now on, so the supply shows even before any stock does.
        await uow.inventory.lock_positions([resolved[0].key])
        await uow.inventory.add_incoming(resolved[0].key, quantity, expected_at, reference)
        await uow.commit()
    result.applied = 1
    return result


def reject_empty(updates: Sequence[object]) -> None:
    if not updates:
        raise DomainError([invalid(("updates",), "Send at least one update.")])
