"""Field functions: Executor.execute_field specialised per field at compile time.

The common storefront field is an attribute holding a string, a number or a flag; its
function reads the attribute and returns it when it already is its own serialized form
(a `str` for String/ID, an in-range `int` for Int, ...). Anything else takes the general
path, which builds the position's Path and resolve info and completes as graphql-core does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString
from graphql.pyutils import Path, Undefined

from server.execution.runtime import (
    SYNC_TYPES,
    Completer,
    FieldFn,
    Site,
    field_failed,
    finish_field,
    never_awaitable,
    raise_error,
)

# Path(prev, key, typename) without the Python-level __new__ of a NamedTuple.
_tuple_new = tuple.__new__

if TYPE_CHECKING:
    from server.execution.executor import CompiledExecutor as Run
    from server.execution.resolve import Call

MIN_INT = -(2**31)
MAX_INT = 2**31 - 1

# Whether a value is already what the scalar serializes it to (so completing it is a no-op).
Fast = Callable[[Any], bool]


def _str(value: Any) -> bool:
    return type(value) is str


def _bool(value: Any) -> bool:
    return type(value) is bool


def _int(value: Any) -> bool:
    return type(value) is int and MIN_INT <= value <= MAX_INT


def _float(value: Any) -> bool:
    return type(value) is float and value - value == 0.0  # finite: inf and nan fail


FAST_SCALARS: dict[Any, Fast] = {
    GraphQLString: _str,
    GraphQLID: _str,
    GraphQLBoolean: _bool,
    GraphQLInt: _int,
    GraphQLFloat: _float,
}
FAST_ITEM_TYPES: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def typename(site: Site) -> FieldFn:
    name = site.parent_type.name

    def run_field(run: Run, source: Any, parent: Path | None) -> Any:
        return name

    return run_field


def attribute(
    site: Site, python_name: str, complete: Completer, needs_info: bool, fast: Fast | None
) -> FieldFn:
    """A strawberry field without a resolver: getattr(source, python_name), as strawberry's
    default resolver does."""
    if fast is not None:

        def run_leaf(run: Run, source: Any, parent: Path | None) -> Any:
            try:
                value = getattr(source, python_name)
            except Exception as raw:
                field_failed(run, site, raw, parent)
                return None
            if fast(value):
                return value
            path = site.path(parent)
            return finish_field(run, site, complete, value, path, None)

        return run_leaf

    def run_field(run: Run, source: Any, parent: Path | None) -> Any:
        try:
            value = getattr(source, python_name)
        except Exception as raw:
            field_failed(run, site, raw, parent)
            return None
        path = site.path(parent)
        info = site.info(run, path) if needs_info else None
        return finish_field(run, site, complete, value, path, info)

    return run_field


def leaf_attribute(site: Site, python_name: str, complete: Completer, leaf_type: Any) -> FieldFn:
    """An attribute of a custom scalar or enum type (Decimal, DateTime, ...): serialized
    on the spot when the value is plainly a value (not None, not an exception, of a class
    that cannot be awaitable), which is what finish_field and the leaf completer would
    do with it; anything else (None, Undefined, ...), or a serializer answering null,
    takes the general path."""
    coerce = leaf_type.coerce_output_value
    general = attribute(site, python_name, complete, False, None)

    def run_leaf(run: Run, source: Any, parent: Path | None) -> Any:
        try:
            value = getattr(source, python_name)
        except Exception as raw:
            field_failed(run, site, raw, parent)
            return None
        if (
            value is None
            or value is Undefined
            or not (type(value) in SYNC_TYPES or never_awaitable(value))
            or isinstance(value, Exception)
        ):
            return general(run, source, parent)
        try:
            coerced = coerce(value)
        except Exception as raw:
            field_failed(run, site, raw, parent)
            return None
        if coerced is None or coerced is Undefined:
            return general(run, source, parent)  # the general path reports it
        return coerced

    return run_leaf


def resolved(
    site: Site, call: Call, complete: Completer, fast: Fast | None, needs_info: bool
) -> FieldFn:
    """A field with a resolver: resolve info (when the call or the completion reads it),
    arguments, the call, then completion."""
    key = site.key
    typename = site.typename

    if not needs_info:

        def run_without_info(run: Run, source: Any, parent: Path | None) -> Any:
            path = _tuple_new(Path, (parent, key, typename))
            try:
                result = call(run, source, None)
            except Exception as raw:
                raise_error(run, site, raw, path, site.non_null)
                return None
            if fast is not None and fast(result):
                return result
            return finish_field(run, site, complete, result, path, None)

        return run_without_info

    def run_field(run: Run, source: Any, parent: Path | None) -> Any:
        path = _tuple_new(Path, (parent, key, typename))
        info = site.info(run, path)
        try:
            result = call(run, source, info)
        except Exception as raw:
            raise_error(run, site, raw, path, site.non_null)
            return None
        if fast is not None and fast(result):
            return result
        return finish_field(run, site, complete, result, path, info)

    return run_field
