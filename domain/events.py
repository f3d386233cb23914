"""Typed domain events: raised by handlers inside a unit of work, written to the outbox at
commit, relayed to the bus after commit. Events are facts, named in the past tense.

A handler raises an event with `uow.events.add(SomethingHappened(...))`. Nothing leaves the
unit of work before `commit()`: the unit of work turns each event into an outbox row
(`event.topic`, `codec.payload(event)`) in the same transaction as the change, so an event
exists exactly when its change does. See docs/events.md for the pattern orders follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, is_dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of every event. `topic` names the bus topic subscribers listen on."""

    topic: ClassVar[str]


class RaisedEvents:
    """The events one unit of work has raised, in the order raised.

    The unit of work takes them at commit and drops them when it ends without one, so a
    failed use case publishes nothing.
    """

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []

    def add(self, event: DomainEvent) -> None:
        # Checked here rather than at commit, so the mistake points at the line raising it.
        if not isinstance(event, DomainEvent) or not is_dataclass(event):
            raise TypeError(f"{event!r} is not a DomainEvent dataclass")
        if not isinstance(getattr(type(event), "topic", None), str):
            raise TypeError(f"{type(event).__name__} declares no topic")
        self._events.append(event)

    def take(self) -> list[DomainEvent]:
        """Every event raised so far, emptying the list (the commit writes them)."""
        taken, self._events = self._events, []
        return taken

    def discard(self) -> None:
        self._events.clear()

    def __iter__(self) -> Iterator[DomainEvent]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)
