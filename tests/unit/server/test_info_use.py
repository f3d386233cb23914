"""The bytecode proofs that let a plan skip building resolve info (server/execution/info_use)."""

from __future__ import annotations

import functools
import sys
from typing import Any

from server.execution.info_use import (
    ignores_parameter,
    is_type_of_ignores_info,
    reads_only_context,
)


def only_context(root: Any, info: Any) -> Any:
    return (root, info.context)


def context_twice(root: Any, info: Any, channel: str) -> Any:
    ctx = info.context
    return (ctx, info.context.x, channel)


def field_name(root: Any, info: Any) -> Any:
    return info.field_name


def passes_info_on(root: Any, info: Any) -> Any:
    return field_name(root, info)


def reassigns(root: Any, info: Any) -> Any:
    info = root
    return info.context


def captures(root: Any, info: Any) -> Any:
    return lambda: info.context


def frame_access(root: Any, info: Any) -> Any:
    return (info.context, sys._getframe().f_locals)


def sees_locals(root: Any, info: Any) -> Any:
    return (info.context, locals())


@functools.wraps(only_context)
def wrapped(*args: Any, **kwargs: Any) -> Any:
    return only_context(*args, **kwargs)


def test_reads_only_context_accepts_context_reads() -> None:
    assert reads_only_context(only_context, "info")
    assert reads_only_context(context_twice, "info")


def test_reads_only_context_refuses_anything_else() -> None:
    for function in (field_name, passes_info_on, reassigns, captures, frame_access, sees_locals):
        assert not reads_only_context(function, "info"), function.__name__
    assert not reads_only_context(wrapped, "info")  # its code is the wrapper's
    assert not reads_only_context(only_context, "other")  # not a parameter
    assert not reads_only_context(len, "info")  # not Python code


class Checked:
    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, int)


class Reads:
    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return bool(info.context)


def closure_check(obj: Any, _info: Any) -> bool:
    return isinstance(obj, str)


def test_is_type_of_ignoring_info() -> None:
    assert is_type_of_ignores_info(Checked.is_type_of)
    assert is_type_of_ignores_info(closure_check)
    assert not is_type_of_ignores_info(Reads.is_type_of)
    assert not is_type_of_ignores_info(lambda *args: True)
    assert ignores_parameter(closure_check, "_info")
    assert not ignores_parameter(field_name, "info")


def test_served_types_prove_it() -> None:
    """The listing's types and resolvers are the ones the proofs are for."""
    from schema import catalog

    assert is_type_of_ignores_info(catalog.Product.is_type_of)
    assert is_type_of_ignores_info(catalog.Variant.is_type_of)
    types: tuple[tuple[Any, str], ...] = ((catalog.Variant, "price"), (catalog.Product, "variants"))
    for type_, name in types:
        field = type_.__strawberry_definition__.get_field(name)
        assert field is not None
        assert field.base_resolver is not None
        assert reads_only_context(field.base_resolver.wrapped_func, "info")
