"""The idempotency store fake: the domain rule over a dict (no concurrency to model)."""

from __future__ import annotations

from domain.idempotency import Claim, Claimed, IdempotencyKey, judge


class FakeIdempotencyStore:
    STATE = ("keys",)

    def __init__(self) -> None:
        self.keys: dict[IdempotencyKey, tuple[str, str | None]] = {}  # hash, result ref
        self.unfinished: set[IdempotencyKey] = set()

    async def claim(self, key: IdempotencyKey, request_hash: str) -> Claim:
        if key in self.unfinished:
            raise RuntimeError(f"{key} claimed twice in one unit of work")
        if key in self.keys:
            return judge(*self.keys[key], request_hash)
        self.keys[key] = (request_hash, None)
        self.unfinished.add(key)
        return Claimed()

    async def complete(self, key: IdempotencyKey, result_ref: str) -> None:
        if key not in self.unfinished:
            raise RuntimeError(f"{key} was not claimed in this unit of work")
        self.keys[key] = (self.keys[key][0], result_ref)
        self.unfinished.discard(key)
