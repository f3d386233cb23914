"""Typed domain events: raised by handlers inside a unit of work, written to the outbox at
commit, relayed to the bus after commit. Events are facts, named in the past tense."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Base of every event. `topic` names the bus topic subscribers listen on."""

    topic: ClassVar[str]
