"""The idempotency rule and the caller identity keys are scoped to."""

from __future__ import annotations

import pytest

from domain.access import SYSTEM, Actor
from domain.codec import request_hash
from domain.errors import ErrorCode
from domain.idempotency import Conflict, Replay, judge, key_conflict, validate_key


def test_each_token_is_its_own_caller_and_the_system_is_one() -> None:
    assert Actor(name="partner:a", token_id=7).caller_id == "token:7"
    assert Actor(name="partner:renamed", token_id=7).caller_id == "token:7"
    assert SYSTEM.caller_id == Actor(name="cli:import inventory").caller_id == "system"
    # Anonymous callers hold no scopes: never the system's keys.
    assert Actor(name="anonymous", scopes=frozenset()).caller_id == "anonymous"


def test_a_held_key_replays_the_same_request_and_refuses_another() -> None:
    first = request_hash({"cart": 1, "lines": ["A"]})
    assert judge(first, "order-9", request_hash({"lines": ["A"], "cart": 1})) == Replay("order-9")
    assert judge(first, "order-9", request_hash({"cart": 1, "lines": ["B"]})) == Conflict()
    with pytest.raises(RuntimeError, match="without its result"):
        judge(first, None, first)


def test_keys_are_1_to_200_characters_and_reuse_is_a_conflict_error() -> None:
    assert validate_key("k-1", ("input", "idempotencyKey")) == []
    for bad in ("", "   ", "x" * 201):
        [error] = validate_key(bad, ("input", "idempotencyKey"))
        assert (error.field, error.code) == (("input", "idempotencyKey"), ErrorCode.INVALID)
    assert key_conflict(("input", "idempotencyKey")).code is ErrorCode.CONFLICT
