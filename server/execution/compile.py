"""Compiling an operation into a plan: graphql-core's own field collection, done once.

Fields are grouped with graphql-core's collect_fields/collect_subfields, so @skip/@include,
fragments, type conditions and response-name merging are exactly graphql-core's. The
result depends on the variables only through @skip/@include; the plan cache keys on
their values (see cache.py). Sub-selections of interfaces and unions are compiled per
runtime type the first time that type is met.

Whatever this does not handle raises Unsupported, and the operation runs on graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLObjectType,
    OperationType,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from strawberry.types.field import StrawberryField

from server.execution import fields as field_fns
from server.execution import info_use, resolve, runtime
from server.execution.runtime import Completer, Fields, ObjectPlan, Site

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from server.execution.executor import CompiledExecutor as Run

MAX_FIELDS = 5_000
INTROSPECTION = frozenset({"__schema", "__type"})
RawInputs = dict[tuple[str, str], Callable[[Any, dict[str, Any]], Any]]


class Unsupported(Exception):
    """The operation uses something plans do not handle; graphql-core runs it."""


class Plan:
    """A compiled operation: its root fields and whether they run one after another."""

    __slots__ = ("fields", "root_type", "serial", "size")

    def __init__(self, root_type: GraphQLObjectType, fields: Fields, serial: bool, size: int):
        self.root_type = root_type
        self.fields = fields
        self.serial = serial
        self.size = size


class Compiler:
    def __init__(self, run: Run, schema: Schema, raw_inputs: RawInputs) -> None:
        self.run = run
        self.strawberry_schema = schema
        self.raw_inputs = raw_inputs
        self.size = 0

    def operation(self) -> Plan:
        run = self.run
        operation = run.operation
        if operation.directives or operation.operation is OperationType.SUBSCRIPTION:
            raise Unsupported("operation directives or subscription")
        root_type = run.schema.get_root_type(operation.operation)
        if root_type is None:
            raise Unsupported("no root type")
        grouped, defer_usages, forbidden = collect_fields(
            run.schema,
            run.fragments,
            run.variable_values,
            root_type,
            operation,
            run.hide_suggestions,
        )
        if defer_usages or forbidden:
            raise Unsupported("@defer")
        fields = self.fields(root_type, grouped)
        serial = operation.operation is OperationType.MUTATION
        return Plan(root_type, fields, serial, self.size)

    def fields(self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet) -> Fields:
        compiled: list[tuple[str, runtime.FieldFn]] = []
        for key, details in grouped.items():
            for detail in details:
                if detail.defer_usage is not None or detail.fragment_variable_values:
                    raise Unsupported("@defer or fragment variables")
            name = details[0].node.name.value
            if name in INTROSPECTION:
                raise Unsupported("introspection")
            field_def = self.run.schema.get_field(parent_type, name)
            if field_def is None:
                continue  # graphql-core leaves unknown fields out (Undefined)
            self.size += 1
            if self.size > MAX_FIELDS:
                raise Unsupported("plan too large")
            compiled.append((key, self.field(parent_type, key, details, field_def)))
        return tuple(compiled)

    def field(
        self,
        parent_type: GraphQLObjectType,
        key: str,
        details: FieldDetailsList,
        field_def: Any,
    ) -> runtime.FieldFn:
        return_type = field_def.type
        site = Site(key, parent_type, details, field_def, is_non_null_type(return_type))
        if site.field_name == "__typename":
            return field_fns.typename(site)
        complete, needs_info = self.completer(return_type, site)
        fast = _fast(return_type)
        strawberry_field = field_def.extensions.get("strawberry-definition")
        resolver = field_def.resolve
        if (
            isinstance(strawberry_field, StrawberryField)
            and getattr(resolver, "_is_default", False)
            and strawberry_field.is_basic_field
            and not field_def.args
            and self.strawberry_schema.config.default_resolver is getattr
        ):
            named = return_type.of_type if site.non_null else return_type
            if fast is None and is_leaf_type(named):
                return field_fns.leaf_attribute(site, strawberry_field.python_name, complete, named)
            return field_fns.attribute(
                site, strawberry_field.python_name, complete, needs_info, fast
            )
        raw = self.raw_inputs.get((parent_type.name, site.field_name))
        call = None
        if (
            raw is not None
            and isinstance(strawberry_field, StrawberryField)
            and not strawberry_field.extensions
        ):
            call = resolve.raw_input_call(site, raw)
        if call is None:
            call = resolve.strawberry_call(site, self.strawberry_schema)
        if call is None:
            call = resolve.graphql_core_call(site, resolver or self.run.field_resolver)
        function, call_needs_info = call
        return field_fns.resolved(site, function, complete, fast, call_needs_info or needs_info)

    def completer(self, type_: Any, site: Site) -> tuple[Completer, bool]:
        """The completer for `type_` and whether it wants the field's resolve info."""
        if is_non_null_type(type_):
            named = type_.of_type
            if is_object_type(named):
                plan = self.object_plan(named, site.field_details)
                complete = runtime.non_null_object_type(plan, site, named)
                return complete, _needs_info(named)
            inner, needs_info = self.completer(named, site)
            return runtime.non_null(inner, site), needs_info
        if is_list_type(type_):
            item_type = type_.of_type
            item, needs_info = self.completer(item_type, site)
            named = item_type.of_type if is_non_null_type(item_type) else item_type
            fast_item = field_fns.FAST_ITEM_TYPES.get(named)
            complete = runtime.list_type(item, is_non_null_type(item_type), site, type_, fast_item)
            return complete, needs_info
        if is_leaf_type(type_):
            return runtime.leaf(type_), False
        if is_object_type(type_):
            plan = self.object_plan(type_, site.field_details)
            return runtime.object_type(plan, site, type_), _needs_info(type_)
        if is_abstract_type(type_):
            return runtime.abstract_type(self.runtime_plans(site), site, type_), True
        raise Unsupported(f"output type {type_}")

    def object_plan(self, type_: GraphQLObjectType, details: FieldDetailsList) -> ObjectPlan:
        run = self.run
        grouped, defer_usages, forbidden = collect_subfields(
            run.schema,
            run.fragments,
            run.variable_values,
            run.operation,
            type_,
            details,
            run.hide_suggestions,
        )
        if defer_usages or forbidden:
            raise Unsupported("@defer")
        return ObjectPlan(type_, self.fields(type_, grouped))

    def runtime_plans(self, site: Site) -> Callable[[Run, GraphQLObjectType], ObjectPlan]:
        """Plans per runtime type of an abstract field, compiled on first use with the
        request at hand (whose @skip/@include values are those of the cache key)."""
        plans: dict[GraphQLObjectType, ObjectPlan] = {}
        schema = self.strawberry_schema
        raw_inputs = self.raw_inputs

        def plan_for(run: Run, runtime_type: GraphQLObjectType) -> ObjectPlan:
            found = plans.get(runtime_type)
            if found is None:
                compiler = Compiler(run, schema, raw_inputs)
                found = plans[runtime_type] = compiler.object_plan(runtime_type, site.field_details)
            return found

        return plan_for


def _needs_info(type_: GraphQLObjectType) -> bool:
    """Whether completing `type_` reads the field's resolve info (its is_type_of does)."""
    return type_.is_type_of is not None and not info_use.is_type_of_ignores_info(type_.is_type_of)


def _fast(type_: Any) -> field_fns.Fast | None:
    named = type_.of_type if is_non_null_type(type_) else type_
    return field_fns.FAST_SCALARS.get(named)
