"""The pieces a compiled plan is made of: completers for each output type and the field
functions that call them.

Each piece mirrors one method of graphql-core's Executor (named in its docstring) and keeps
its observable behaviour: the same values, the same errors with the same messages, paths
and locations, the same null propagation, and the same points where awaitables are
gathered (so dataloaders batch exactly as before). What a plan saves is the interpretation:
the field definition, the resolver, the argument coercion, the type checks of
`complete_value` and the sub-field collection are decided once per document.

Anything unusual at run time (an async iterable for a list, an awaitable `is_type_of`)
is handed to graphql-core's own `complete_value` for that position, which then completes
the subtree exactly as it always did.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Awaitable, Callable
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, located_error
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect, is_iterable

from server.execution.info_use import is_type_of_ignores_info

if TYPE_CHECKING:
    from graphql import FieldNode, GraphQLObjectType, GraphQLOutputType
    from graphql.execution.collect_fields import FieldDetailsList

    from server.execution.executor import CompiledExecutor as Run

# A completer finishes a resolved, non-awaitable value at a position (its Path), given
# the field's resolve info when the type needs one (is_type_of, resolve_type), else None.
# It returns the completed value or an awaitable of it, and raises on a field error.
Completer = Callable[["Run", Any, Path, Any], Any]
# A field function resolves and completes one field of a source object below the parent
# path; errors are handled as graphql-core's handle_field_error does.
FieldFn = Callable[["Run", Any, "Path | None"], Any]
Fields = tuple[tuple[str, FieldFn], ...]

# Values of these types are never awaitable; checking the type first spares a call to
# is_awaitable for nearly every completed field. Classes proven unable to be awaitable
# (see `never_awaitable`) join the set as they are met.
# Decimal and the datetime types define their own attribute lookup (a C slot), so
# `never_awaitable` cannot prove them; they have no `__await__` and no instance __dict__.
SYNC_TYPES: set[type] = {
    dict,
    list,
    str,
    int,
    float,
    bool,
    type(None),
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.time,
}
_OBJECT_GETATTRIBUTE: Any = object.__getattribute__


def never_awaitable(value: Any) -> bool:
    """Whether no instance of value's class can pass strawberry's is_awaitable, which
    checks for coroutines, iterable-coroutine generators and an `__await__` attribute.
    True for a class without one that has no instance __dict__ (slots, e.g. the domain's
    frozen dataclasses) and no custom attribute lookup; such classes are remembered."""
    cls = type(value)
    if cls in SYNC_TYPES:
        return True
    if (
        cls.__dictoffset__ == 0
        and not hasattr(cls, "__await__")
        and not hasattr(cls, "__getattr__")
        and cls.__getattribute__ is _OBJECT_GETATTRIBUTE
        and not issubclass(cls, (CoroutineType, GeneratorType))
    ):
        SYNC_TYPES.add(cls)
        return True
    return False


# Path(prev, key, typename) without the Python-level __new__ of a NamedTuple.
_tuple_new = tuple.__new__


class Site:
    """What error handling needs to know about a field: where it is, what it returns."""

    __slots__ = (
        "field_def",
        "field_details",
        "field_name",
        "info_head",
        "key",
        "nodes",
        "non_null",
        "null_message",
        "parent_type",
        "return_type",
        "typename",
    )

    def __init__(
        self,
        key: str,
        parent_type: GraphQLObjectType,
        field_details: FieldDetailsList,
        field_def: Any,
        non_null: bool,
    ) -> None:
        self.key = key
        self.parent_type = parent_type
        self.typename = parent_type.name
        self.field_details = field_details
        self.nodes: list[FieldNode] = [d.node for d in field_details]
        self.field_name = self.nodes[0].name.value
        self.field_def = field_def
        self.return_type: GraphQLOutputType = field_def.type
        self.non_null = non_null
        self.info_head = (self.field_name, self.nodes, self.return_type, parent_type)
        self.null_message = (
            f"Cannot return null for non-nullable field {parent_type}.{self.field_name}."
        )

    def path(self, parent: Path | None) -> Path:
        return _tuple_new(Path, (parent, self.key, self.typename))

    def info(self, run: Run, path: Path) -> Any:
        tail = run.info_tail
        if tail is None:
            return run.build_resolve_info(self.field_def, self.nodes, self.parent_type, path)
        return _tuple_new(run.info_class, (*self.info_head, path, *tail))


def raise_error(run: Run, site: Site, raw: Exception, path: Path, non_null: bool) -> None:
    """Executor.handle_field_error: locate, then raise (non-null) or record and null."""
    error = located_error(raw, site.nodes, path.as_list())
    if non_null and run.error_propagation:
        raise error
    run.collected_errors.add(error, path)


def field_failed(run: Run, site: Site, raw: Exception, parent: Path | None) -> None:
    raise_error(run, site, raw, site.path(parent), site.non_null)


def finish_field(
    run: Run, site: Site, complete: Completer, result: Any, path: Path, info: Any
) -> Any:
    """Executor.execute_field after the resolver returned `result`."""
    try:
        if (
            type(result) not in SYNC_TYPES
            and not never_awaitable(result)
            and run.is_awaitable(result)
        ):
            return complete_awaitable(run, site, complete, result, path, info)
        completed = complete(run, result, path, info)
        if type(completed) not in SYNC_TYPES and run.is_awaitable(completed):
            return await_completed(run, site, completed, path)
    except Exception as raw:
        raise_error(run, site, raw, path, site.non_null)
        return None
    return completed


async def complete_awaitable(
    run: Run, site: Site, complete: Completer, result: Awaitable[Any], path: Path, info: Any
) -> Any:
    """Executor.complete_awaitable_value."""
    try:
        resolved = await result
        completed = complete(run, resolved, path, info)
        if run.is_awaitable(completed):
            completed = await completed
    except Exception as raw:
        raise_error(run, site, raw, path, site.non_null)
        completed = None
    return completed


async def await_completed(run: Run, site: Site, completed: Awaitable[Any], path: Path) -> Any:
    """The await_completed closure of Executor.execute_field."""
    try:
        return await completed
    except Exception as raw:
        raise_error(run, site, raw, path, site.non_null)
        return None


def non_null(inner: Completer, site: Site) -> Completer:
    """complete_value for a NonNull type."""
    message = site.null_message

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        completed = inner(run, value, path, info)
        if completed is None:
            raise TypeError(message)
        return completed

    return complete


def leaf(return_type: Any) -> Completer:
    """complete_value + complete_leaf_value for a scalar or enum."""
    coerce = return_type.coerce_output_value

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(return_type)}.coerce_output_value("
                f"{inspect(value)})` to return non-nullable value, returned:"
                f" {inspect(coerced)}"
            )
        return coerced

    return complete


def execute_fields(run: Run, fields: Fields, source: Any, path: Path | None) -> Any:
    """Executor.execute_fields: run every field, then gather the awaitable ones."""
    results: dict[str, Any] = {}
    awaitable_keys: list[str] | None = None
    is_awaitable = run.is_awaitable
    try:
        for key, run_field in fields:
            value = run_field(run, source, path)
            results[key] = value
            if type(value) not in SYNC_TYPES and is_awaitable(value):
                if awaitable_keys is None:
                    awaitable_keys = [key]
                else:
                    awaitable_keys.append(key)
    except Exception:
        if awaitable_keys:
            run.settle_in_background([results[k] for k in awaitable_keys])
        raise
    if awaitable_keys is None:
        return results
    return _gather_fields(results, awaitable_keys)


async def _gather_fields(results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    if len(keys) == 1:
        key = keys[0]
        results[key] = await results[key]
    else:
        values = await gather_with_cancel(*(results[k] for k in keys))
        results.update(zip(keys, values, strict=True))
    return results


def execute_fields_serially(run: Run, fields: Fields, source: Any, path: Path | None) -> Any:
    """Executor.execute_fields_serially: each field after the previous one completed."""
    results: dict[str, Any] = {}
    for index, (key, run_field) in enumerate(fields):
        value = run_field(run, source, path)
        if run.is_awaitable(value):
            return _serial_rest(run, fields, index, key, value, results, source, path)
        results[key] = value
    return results


async def _serial_rest(
    run: Run,
    fields: Fields,
    index: int,
    key: str,
    pending: Awaitable[Any],
    results: dict[str, Any],
    source: Any,
    path: Path | None,
) -> dict[str, Any]:
    results[key] = await pending
    for next_key, run_field in fields[index + 1 :]:
        value = run_field(run, source, path)
        if run.is_awaitable(value):
            value = await value
        results[next_key] = value
    return results


class ObjectPlan:
    """The compiled selection of one object type at one place in the document."""

    __slots__ = ("fields", "return_type")

    def __init__(self, return_type: GraphQLObjectType, fields: Fields) -> None:
        self.return_type = return_type
        self.fields = fields


def graphql_core_completion(site: Site, return_type: Any) -> Completer:
    """Hands a position to graphql-core's complete_value (the escape hatch)."""

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        return run.complete_value(
            return_type,
            site.field_details,
            info if info is not None else site.info(run, path),
            path,
            value,
            None,
        )

    return complete


def non_null_object_type(plan: ObjectPlan, site: Site, return_type: Any) -> Completer:
    """non_null(object_type(...)) in one step: the listing's edges, nodes and variants."""
    is_type_of = return_type.is_type_of
    ignores_info = is_type_of is not None and is_type_of_ignores_info(is_type_of)
    message = site.null_message
    fields = plan.fields

    if is_type_of is None:

        def complete_unchecked(run: Run, value: Any, path: Path, info: Any) -> Any:
            if isinstance(value, Exception):
                raise value
            if value is None or value is Undefined:
                raise TypeError(message)
            return execute_fields(run, fields, value, path)

        return complete_unchecked

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            raise TypeError(message)
        if info is None and not ignores_info:
            info = site.info(run, path)
        matches = is_type_of(value, info)
        if type(matches) is not bool and run.is_awaitable(matches):
            return _check_type_later(run, plan, site, matches, value, path)
        if not matches:
            raise invalid_return_type_error(return_type, value, site.field_details)
        return execute_fields(run, fields, value, path)

    return complete


def object_type(plan: ObjectPlan, site: Site, return_type: Any) -> Completer:
    """complete_value + complete_object_value for an object type."""
    is_type_of = return_type.is_type_of
    ignores_info = is_type_of is not None and is_type_of_ignores_info(is_type_of)
    fields = plan.fields

    if is_type_of is None:

        def complete_unchecked(run: Run, value: Any, path: Path, info: Any) -> Any:
            if isinstance(value, Exception):
                raise value
            if value is None or value is Undefined:
                return None
            return execute_fields(run, fields, value, path)

        return complete_unchecked

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        if info is None and not ignores_info:
            info = site.info(run, path)
        matches = is_type_of(value, info)
        if type(matches) is not bool and run.is_awaitable(matches):
            return _check_type_later(run, plan, site, matches, value, path)
        if not matches:
            raise invalid_return_type_error(return_type, value, site.field_details)
        return execute_fields(run, fields, value, path)

    return complete


def abstract_type(
    plan_for: Callable[[Run, GraphQLObjectType], ObjectPlan], site: Site, return_type: Any
) -> Completer:
    """complete_value + complete_abstract_value for an interface or union."""

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        if info is None:
            info = site.info(run, path)
        resolve_type = return_type.resolve_type or run.type_resolver
        runtime = resolve_type(value, info, return_type)
        if run.is_awaitable(runtime):
            return _complete_abstract_later(
                run, plan_for, site, return_type, runtime, value, path, info
            )
        runtime_type = run.ensure_valid_runtime_type(
            runtime, return_type, site.field_details, info, value
        )
        return complete_runtime_object(run, plan_for(run, runtime_type), site, value, path, info)

    return complete


async def _complete_abstract_later(
    run: Run,
    plan_for: Callable[[Run, GraphQLObjectType], ObjectPlan],
    site: Site,
    return_type: Any,
    runtime: Awaitable[Any],
    value: Any,
    path: Path,
    info: Any,
) -> Any:
    runtime_type = run.ensure_valid_runtime_type(
        await runtime, return_type, site.field_details, info, value
    )
    completed = complete_runtime_object(run, plan_for(run, runtime_type), site, value, path, info)
    if run.is_awaitable(completed):
        return await completed
    return completed


def complete_runtime_object(
    run: Run, plan: ObjectPlan, site: Site, value: Any, path: Path, info: Any
) -> Any:
    """complete_object_value for the runtime type of an abstract value."""
    return_type = plan.return_type
    is_type_of = return_type.is_type_of
    if is_type_of is not None:
        matches = is_type_of(value, info)
        if run.is_awaitable(matches):
            return _check_type_later(run, plan, site, matches, value, path)
        if not matches:
            raise invalid_return_type_error(return_type, value, site.field_details)
    return execute_fields(run, plan.fields, value, path)


async def _check_type_later(
    run: Run, plan: ObjectPlan, site: Site, matches: Awaitable[Any], value: Any, path: Path
) -> Any:
    if not await matches:
        raise invalid_return_type_error(plan.return_type, value, site.field_details)
    completed = execute_fields(run, plan.fields, value, path)
    if run.is_awaitable(completed):
        return await completed
    return completed


def list_type(
    item: Completer, item_non_null: bool, site: Site, return_type: Any, fast: type | None
) -> Completer:
    """complete_value + complete_list_value + complete_iterable_value.

    `fast` is the Python type of items that complete to themselves (e.g. str for
    [String!]); such items are appended without a path or a call.
    """
    fallback = graphql_core_completion(site, return_type)
    message = (
        f"Expected Iterable, but did not find one for field '{site.parent_type}.{site.field_name}'."
    )

    def complete(run: Run, value: Any, path: Path, info: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        if type(value) is not list:
            if run.is_async_iterable(value):
                return fallback(run, value, path, info)
            if not is_iterable(value):
                raise GraphQLError(message)
        is_awaitable = run.is_awaitable
        completed: list[Any] = []
        append = completed.append
        awaitable_indices: list[int] | None = None
        index = 0
        try:
            for element in value:
                if fast is not None and type(element) is fast:
                    append(element)
                    index += 1
                    continue
                item_path = _tuple_new(Path, (path, index, None))
                if (
                    type(element) not in SYNC_TYPES
                    and not never_awaitable(element)
                    and is_awaitable(element)
                ):
                    append(
                        _complete_awaitable_item(
                            run, site, item, item_non_null, element, item_path, info
                        )
                    )
                    awaitable_indices = _add(awaitable_indices, index)
                else:
                    try:
                        done = item(run, element, item_path, info)
                        if type(done) not in SYNC_TYPES and is_awaitable(done):
                            append(_await_item(run, site, item_non_null, done, item_path))
                            awaitable_indices = _add(awaitable_indices, index)
                        else:
                            append(done)
                    except Exception as raw:
                        raise_error(run, site, raw, item_path, item_non_null)
                        append(None)
                index += 1
        except Exception:
            if awaitable_indices:
                run.settle_in_background([completed[i] for i in awaitable_indices])
            raise
        if awaitable_indices is None:
            return completed
        return _gather_items(completed, awaitable_indices)

    return complete


def _add(indices: list[int] | None, index: int) -> list[int]:
    if indices is None:
        return [index]
    indices.append(index)
    return indices


async def _gather_items(completed: list[Any], indices: list[int]) -> list[Any]:
    if len(indices) == 1:
        index = indices[0]
        completed[index] = await completed[index]
    else:
        values = await gather_with_cancel(*(completed[i] for i in indices))
        for index, value in zip(indices, values, strict=True):
            completed[index] = value
    return completed


async def _complete_awaitable_item(
    run: Run,
    site: Site,
    item: Completer,
    item_non_null: bool,
    element: Awaitable[Any],
    path: Path,
    info: Any,
) -> Any:
    """Executor.complete_awaitable_list_item_value."""
    try:
        resolved = await element
        completed = item(run, resolved, path, info)
        if run.is_awaitable(completed):
            completed = await completed
    except Exception as raw:
        raise_error(run, site, raw, path, item_non_null)
        return None
    return completed


async def _await_item(
    run: Run, site: Site, item_non_null: bool, done: Awaitable[Any], path: Path
) -> Any:
    """The await_completed closure of Executor.complete_list_item_value."""
    try:
        return await done
    except Exception as raw:
        raise_error(run, site, raw, path, item_non_null)
        return None
