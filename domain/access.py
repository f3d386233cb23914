"""Who is acting: the bindings of the caller's token that domain rules must respect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    name: str = "system"
    channel: str | None = None  # a channel-bound token acts only within this channel
    location: str | None = None  # a location-bound token acts only on this location

    def may_act_on_location(self, code: str) -> bool:
        return self.location is None or self.location == code


SYSTEM = Actor()
