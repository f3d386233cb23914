"""Scoped idempotency: a retried request runs once, a key reused for another request is refused.

A key belongs to a scope (the caller: `Actor.caller_id`, one per API token, "system" for the CLI
and imports) and an operation ("orderPlace", "cartComplete", ...), so two callers never
collide and one caller's key means one request. The store keeps a hash of the canonical
request (domain/codec.py `request_hash`) and a reference to the first result.

Inside one unit of work:

    key = IdempotencyKey(actor.caller_id, "orderPlace", cmd.idempotency_key)
    match await uow.idempotency.claim(key, request_hash(cmd)):
        case Replay(result_ref=ref):
            return await uow.orders.get(int(ref))      # the first result, nothing re-run
        case Conflict():
            raise DomainError([key_conflict(("input", "idempotencyKey"))])
        case Claimed():
            pass
    order = ...                                        # the work, once
    await uow.idempotency.complete(key, str(order.id))
    await uow.commit()

The claim is a row written in the use case's own transaction: it exists only if the work
committed, so a request that failed (a userError, a crash) leaves nothing and its retry runs
again. A concurrent claim of the same key waits for the first transaction (PostgreSQL's
unique index), then replays or conflicts: never do both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.errors import ErrorCode, FieldError, invalid

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    scope: str  # who: Actor.caller_id
    operation: str  # which use case: keys of different operations never meet
    key: str  # the caller's key


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is new: do the work, then `complete` the key with a reference to the result."""


@dataclass(frozen=True, slots=True)
class Replay:
    """The same request ran before and committed: answer with its result."""

    result_ref: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """The key was used with a different request."""


Claim = Claimed | Replay | Conflict


def judge(stored_hash: str, stored_ref: str | None, request_hash: str) -> Replay | Conflict:
    """The rule for a key an earlier, committed request holds."""
    if stored_hash != request_hash:
        return Conflict()
    if stored_ref is None:
        # The unit of work refuses to commit a claim it did not complete, so this is a bug.
        raise RuntimeError("an idempotency key was committed without its result")
    return Replay(stored_ref)


def validate_key(key: str, field: tuple[str, ...]) -> list[FieldError]:
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return [invalid(field, f"An idempotency key is 1-{MAX_KEY_LENGTH} characters.")]
    return []


def key_conflict(field: tuple[str, ...]) -> FieldError:
    return FieldError(
        field, ErrorCode.CONFLICT, "This idempotency key was already used for another request."
    )


class IdempotencyStore(Protocol):
    async def claim(self, key: IdempotencyKey, request_hash: str) -> Claim:
        """Claim `key` for this unit of work, or say what an earlier request left there.

        Blocks while another open transaction holds the same key."""
        ...

    async def complete(self, key: IdempotencyKey, result_ref: str) -> None:
        """Record the result of a claimed key. Every claim must be completed before commit."""
        ...
