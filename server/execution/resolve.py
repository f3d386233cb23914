"""How a compiled field gets its value: arguments, and the call to the resolver.

Arguments are coerced by graphql-core's get_argument_values, as in Executor.execute_field.
Their values depend only on literals and the request's variables, so a field selected in
a list is coerced once per request (once per document when only literals are used)
whenever the coerced values are immutable scalars nobody can change between calls.

A strawberry resolver is normally reached through the wrapper strawberry installs as the
graphql-core field's `resolve`: it builds strawberry's Info, converts arguments, runs field
extensions and calls the function. For fields without extensions or exception handlers,
`strawberry_call` does the same work inline: the same Info, the same conversion
(strawberry's own convert_argument for anything that is not a plain scalar), the same
parameters (self, root/parent, info), one call less per level.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import VariableNode, visit
from graphql.execution.values import get_argument_values
from graphql.language import Visitor
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver
from strawberry.types.info import Info

from server.execution.info_use import reads_only_context
from server.execution.runtime import Site

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from server.execution.executor import CompiledExecutor as Run

Arguments = Callable[["Run"], dict[str, Any]]
# (run, source, graphql-core resolve info) -> the resolver's result
Call = Callable[["Run", Any, Any], Any]

NO_ARGUMENTS: dict[str, Any] = {}
IMMUTABLE = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        decimal.Decimal,
        datetime.date,
        datetime.datetime,
        datetime.time,
    }
)
# Argument types strawberry hands to resolvers unchanged (convert_argument's leaf branch).
PLAIN_ARGUMENT_TYPES = frozenset({str, int, float, bool})


def _immutable(values: dict[str, Any]) -> bool:
    return all(type(v) in IMMUTABLE or isinstance(v, enum.Enum) for v in values.values())


class _FindVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, *_: Any) -> None:
        self.found = True


def _uses_variables(site: Site) -> bool:
    finder = _FindVariables()
    for argument in site.nodes[0].arguments or ():
        if isinstance(argument.value, VariableNode):
            return True
        visit(argument.value, finder)
    return finder.found


def arguments(site: Site) -> Arguments:
    """The field's coerced arguments for a request, memoized where that is safe."""
    field_def = site.field_def
    node = site.nodes[0]
    fragment_values = site.field_details[0].fragment_variable_values
    if not (field_def.args or node.arguments):
        return lambda run: NO_ARGUMENTS

    def coerce(run: Run) -> dict[str, Any]:
        return get_argument_values(
            field_def, node, run.variable_values, fragment_values, run.hide_suggestions
        )

    if _uses_variables(site):

        def per_request(run: Run) -> dict[str, Any]:
            memo = run.argument_memo
            found = memo.get(site)
            if found is None:
                found = coerce(run)
                if _immutable(found):
                    memo[site] = found
            return found

        return per_request

    literal: list[dict[str, Any]] = []

    def per_document(run: Run) -> dict[str, Any]:
        if literal:
            return literal[0]
        found = coerce(run)
        if _immutable(found):
            literal.append(found)
        return found

    return per_document


def graphql_core_call(site: Site, resolve: Any) -> tuple[Call, bool]:
    """Executor.execute_field's call: resolve(source, info, **args)."""
    get_arguments = arguments(site)

    def call(run: Run, source: Any, info: Any) -> Any:
        return resolve(source, info, **get_arguments(run))

    return call, True


async def _raising(error: Exception) -> Any:
    raise error


def _plain(type_: Any) -> bool:
    if isinstance(type_, StrawberryMaybe):
        return False  # converted into Some(...)
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return type_ in PLAIN_ARGUMENT_TYPES


def strawberry_call(site: Site, schema: Schema) -> tuple[Call, bool] | None:
    """The strawberry resolver called without its generic wrapper, and whether the call
    reads graphql-core's resolve info; None when the field needs the wrapper (extensions,
    exception handlers, custom field classes)."""
    field = site.field_def.extensions.get("strawberry-definition")
    if not isinstance(field, StrawberryField) or field.extensions or field.is_subscription:
        return None
    converter = schema.schema_converter
    if getattr(converter, "_exception_handler_specs", True):
        return None
    resolver = field.base_resolver
    if (
        resolver is None
        or type(field).get_result is not StrawberryField.get_result
        or type(resolver).__call__ is not StrawberryResolver.__call__
        or not callable(resolver.wrapped_func)
    ):
        return None
    function = resolver.wrapped_func
    config = schema.config
    registry = converter.scalar_registry
    info_class = config.info_class
    name_of = config.name_converter.from_argument
    specs = [(name_of(a), a.python_name, a.type, _plain(a.type)) for a in field.arguments]
    with_self = resolver.self_parameter is not None
    injected = [
        p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
    ]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    is_async = field.is_async
    get_arguments = arguments(site)
    if all(plain for *_, plain in specs) and (
        info_name is None
        or (
            getattr(info_class, "context", None) is Info.context
            and reads_only_context(function, info_name)
        )
    ):
        # Nothing the resolver reads needs this field's info: strawberry's Info is
        # replaced by the request's ContextInfo, and no resolve info is built.
        leading = None if with_self else _leading(function, injected, info_name)
        plain_specs = [(name, python_name) for name, python_name, *_ in specs]
        return _context_call(
            function, get_arguments, plain_specs, leading, injected, info_name, with_self
        )

    def convert(values: dict[str, Any], strawberry_info: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for name, python_name, type_, plain in specs:
            if name in values:
                value = values[name]
                kwargs[python_name] = (
                    value
                    if plain
                    else convert_argument(
                        value=value,
                        type_=type_,
                        config=config,
                        scalar_registry=registry,
                        info=strawberry_info,
                        path=(name,),
                    )
                )
        return kwargs

    def call(run: Run, source: Any, info: Any) -> Any:
        values = get_arguments(run)
        strawberry_info = info_class(_raw_info=info, _field=field)
        try:
            kwargs = convert(values, strawberry_info) if specs else {}
        except Exception as error:
            if is_async:  # strawberry converts inside its coroutine: fail when awaited
                return _raising(error)
            raise
        for name in injected:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        if with_self:
            return function(source, **kwargs)
        return function(**kwargs)

    return call, True


class ContextInfo:
    """What a resolver that only reads `info.context` gets: one per request."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


def _leading(function: Any, injected: list[str], info_name: str | None) -> list[str] | None:
    """The resolver's parameters that take the source or the info, when they are its
    first positional parameters (so both can be passed by position)."""
    wanted = [*injected, *([info_name] if info_name is not None else [])]
    code = getattr(function, "__code__", None)
    if code is None or hasattr(function, "__wrapped__") or len(set(wanted)) != len(wanted):
        return None
    positional = list(code.co_varnames[: code.co_argcount])
    if set(positional[: len(wanted)]) != set(wanted):
        return None
    return positional[: len(wanted)]


def _context_call(
    function: Any,
    get_arguments: Arguments,
    specs: list[tuple[str, str]],
    leading: list[str] | None,
    injected: list[str],
    info_name: str | None,
    with_self: bool,
) -> tuple[Call, bool]:
    """A call whose resolver gets the source, the request's ContextInfo and plain
    arguments: by position when its signature allows, by name otherwise."""

    # The coerced values are one dict per document (literals) or per request (variables),
    # so their keyword form is made once for each; callers only unpack it.
    last: list[Any] = [None, None]

    def keywords(run: Run) -> dict[str, Any]:
        values = get_arguments(run)
        if values is last[0]:
            found: dict[str, Any] = last[1]
            return found
        found = {python_name: values[name] for name, python_name in specs if name in values}
        last[0], last[1] = values, found
        return found

    if leading == [*injected, info_name] and len(injected) == 1 and info_name is not None:
        if not specs:

            def source_info(run: Run, source: Any, info: Any) -> Any:
                return function(source, run.context_info)

            return source_info, False

        def source_info_arguments(run: Run, source: Any, info: Any) -> Any:
            return function(source, run.context_info, **keywords(run))

        return source_info_arguments, False

    def by_name(run: Run, source: Any, info: Any) -> Any:
        kwargs = dict(keywords(run))  # a copy: the memoized dict is shared
        for name in injected:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = run.context_info
        if with_self:
            return function(source, **kwargs)
        return function(**kwargs)

    return by_name, False


def raw_input_call(site: Site, function: Callable[[Any, dict[str, Any]], Any]) -> tuple[Call, bool]:
    """A hot mutation that builds its domain commands from the coerced arguments."""
    get_arguments = arguments(site)

    def call(run: Run, source: Any, info: Any) -> Any:
        return function(run.context_value, get_arguments(run))

    return call, False
