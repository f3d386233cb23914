"""Variables coerced by a function compiled per operation, graphql-core's result exactly.

graphql-core's coerce_input_value interprets the type at every value: a batch of 1,000
inventory updates costs tens of milliseconds before any resolver runs, and half of that
is the DateTime scalar parsing the same `asOf` text a thousand times. The coercer here
is compiled from the variable definitions once; it accepts only values whose coercion is
unremarkable (the right JSON types, known keys, values its scalar accepts) and builds the
same VariableValues graphql-core would: the same dicts, keys in the type's field order,
defaults of omitted fields, the same sources. Scalar parsing is memoized per request and
text, for scalars whose results cannot be changed (dates, decimals, strings, numbers).

Anything else (a missing variable with a default, a wrong type, an unknown key, a value
a scalar rejects, @oneOf inputs) makes the coercer give up, and graphql-core coerces the
variables and reports the errors, exactly as before.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLError,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_required_input_field,
)
from graphql.execution import values as graphql_values
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource
from graphql.pyutils import Undefined
from graphql.utilities.coerce_input_value import coerce_default_value

MAX_NESTING_DEPTH: int = vars(graphql_values)["MAX_NESTING_DEPTH"]
MIN_INT = -(2**31)
MAX_INT = 2**31 - 1
IMMUTABLE = (str, int, float, bool, decimal.Decimal, datetime.date, datetime.time, enum.Enum)


_PER_REQUEST = object()


class Irregular(Exception):
    """The value needs graphql-core's coercion (and perhaps its error messages)."""


Memo = dict[tuple[int, str], Any]
Coerce = Callable[[Any, Memo], Any]
Coercer = Callable[[dict[str, Any]], VariableValues | None]


def _string(value: Any, memo: Memo) -> Any:
    if type(value) is not str:
        raise Irregular
    return value


def _boolean(value: Any, memo: Memo) -> Any:
    if type(value) is not bool:
        raise Irregular
    return value


def _int(value: Any, memo: Memo) -> Any:
    if type(value) is not int or not MIN_INT <= value <= MAX_INT:
        raise Irregular
    return value


def _float(value: Any, memo: Memo) -> Any:
    if type(value) is not float or value - value != 0.0:
        raise Irregular
    return value


EXACT_TYPES: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
BUILT_IN: dict[Any, Coerce] = {
    GraphQLString: _string,
    GraphQLID: _string,
    GraphQLBoolean: _boolean,
    GraphQLInt: _int,
    GraphQLFloat: _float,
}


def _scalar(type_: Any) -> Coerce:
    """A custom scalar or enum: its own coerce_input_value, memoized for text input."""
    coerce = type_.coerce_input_value
    key = id(type_)

    def scalar(value: Any, memo: Memo) -> Any:
        if type(value) is str:
            found = memo.get((key, value), Undefined)
            if found is not Undefined:
                return found
        try:
            coerced = coerce(value)
        except Exception as error:
            raise Irregular from error
        if coerced is Undefined:
            raise Irregular
        if type(value) is str and isinstance(coerced, IMMUTABLE):
            memo[(key, value)] = coerced
        return coerced

    return scalar


def compile_type(type_: Any, depth: int = 0) -> Coerce:
    if depth > MAX_NESTING_DEPTH:
        raise Irregular  # graphql-core checks the nesting itself
    if is_non_null_type(type_):
        exact = EXACT_TYPES.get(type_.of_type)
        if exact is not None:  # String!, ID!, Boolean!: the value is its own coercion

            def exactly(value: Any, memo: Memo) -> Any:
                if type(value) is not exact:
                    raise Irregular
                return value

            return exactly
        inner = compile_type(type_.of_type, depth)

        def non_null(value: Any, memo: Memo) -> Any:
            if value is None:
                raise Irregular
            return inner(value, memo)

        return non_null
    if is_list_type(type_):
        item = compile_type(type_.of_type, depth + 1)

        def as_list(value: Any, memo: Memo) -> Any:
            if value is None:
                return None
            if type(value) is not list:
                raise Irregular  # a single value becomes a list of one: graphql-core
            return [item(element, memo) for element in value]

        return as_list
    if is_input_object_type(type_):
        if type_.is_one_of:
            raise Irregular
        return _input_object(type_, depth)
    if is_leaf_type(type_):
        built_in = BUILT_IN.get(type_)
        inner = built_in if built_in is not None else _scalar(type_)

        def leaf(value: Any, memo: Memo) -> Any:
            if value is None:
                return None
            return inner(value, memo)

        return leaf
    raise Irregular


def _input_object(type_: Any, depth: int) -> Coerce:
    specs: list[tuple[str, str, Coerce, Any, bool, Any]] = []
    for name, field in type_.fields.items():
        coerce = compile_type(field.type, depth + 1)
        # An omitted field's default, coerced once when it cannot be changed by its user.
        default = coerce_default_value(field)
        constant = default is None or default is Undefined or isinstance(default, IMMUTABLE)
        specs.append(
            (
                name,
                field.out_name or name,
                coerce,
                field,
                is_required_input_field(field),
                default if constant else _PER_REQUEST,
            )
        )
    names = frozenset(type_.fields)
    out_type = type_.out_type

    def input_object(value: Any, memo: Memo) -> Any:
        if value is None:
            return None
        if type(value) is not dict or not names.issuperset(value):
            raise Irregular
        coerced: dict[str, Any] = {}
        for name, out_name, coerce, field, required, default in specs:
            found = value.get(name, Undefined)
            if found is Undefined:
                if required:
                    raise Irregular
                if default is _PER_REQUEST:
                    default = coerce_default_value(field)
                if default is not Undefined:
                    coerced[out_name] = default
            else:
                coerced[out_name] = coerce(found, memo)
        return out_type(coerced)

    return input_object


def compile_variables(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Coercer | None:
    """The operation's coercer, or None when graphql-core must always coerce."""
    definitions = []
    try:
        for node in operation.variable_definitions or ():
            signature = get_variable_signature(schema, node)
            if isinstance(signature, GraphQLError):
                return None
            definitions.append(
                (
                    signature.name,
                    signature,
                    compile_type(signature.type),
                    node.default_value is not None,
                    is_non_null_type(signature.type),
                )
            )
    except Irregular:
        return None

    def coerce(inputs: dict[str, Any]) -> VariableValues | None:
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        memo: Memo = {}
        try:
            for name, signature, coerce_value, has_default, non_null in definitions:
                value = inputs.get(name, Undefined)
                if value is Undefined:
                    if has_default or non_null:
                        return None
                    sources[name] = VariableValueSource(signature)
                    continue
                sources[name] = VariableValueSource(signature, value)
                coerced[name] = coerce_value(value, memo)
        except Irregular:
            return None
        return VariableValues(sources, coerced)

    return coerce
