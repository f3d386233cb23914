"""strawberry's schema extension hooks, looked up once per extension class.

For every request strawberry builds four hook managers (operation, parsing, validation,
execution), and each asks every extension whether it defines that hook: `inspect` calls
and a `contextlib.contextmanager` wrapper (with its `functools.update_wrapper`) per
extension and stage, 24 lookups and a dozen wrappers per request for our six extensions,
about as much CPU as a small query's execution. The answer depends only on the class, so
`install` makes the schema find it once per class; the managers then run exactly
strawberry's ExtensionContextManagerBase (same order, same exit stacks, same errors).
Hooks that are not generator functions still go through strawberry's own lookup.
"""

from __future__ import annotations

import contextlib
import inspect
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

# What contextlib.contextmanager / asynccontextmanager return when called, without the
# decorator's per-call functools.update_wrapper.
_SYNC: Any = vars(contextlib)["_GeneratorContextManager"]
_ASYNC: Any = vars(contextlib)["_AsyncGeneratorContextManager"]

# (extension class, hook name) -> (the hook function, its manager class or None);
# None for the whole entry: the class does not define the hook.
_Found = tuple[Any, Any] | None
_HOOKS: dict[tuple[type, str], _Found] = {}


def _lookup(cls: type, name: str) -> _Found:
    function = getattr(cls, name)
    key = (cls, name)
    if key in _HOOKS:
        found = _HOOKS[key]
        if found is None or found[0] is function:
            return found
    if function is getattr(SchemaExtension, name):
        found = None
    elif inspect.isgeneratorfunction(function):
        found = (function, _SYNC)
    elif inspect.isasyncgenfunction(function):
        found = (function, _ASYNC)
    else:
        found = (function, None)  # a plain callable: strawberry's own wrapping
    _HOOKS[key] = found
    return found


# (hook name, the extensions' classes in order) -> each extension's _lookup answer: one
# dictionary look-up per stage of a request instead of one _lookup per extension.
_PLANS: dict[tuple[str, tuple[type, ...]], list[_Found]] = {}


def _plan(name: str, classes: tuple[type, ...]) -> list[_Found]:
    key = (name, classes)
    plan = _PLANS.get(key)
    # Still checked against the classes' current hooks: a class patched after the plan
    # was made (tests do) gets a fresh one, as _lookup would.
    if plan is not None:
        for cls, found in zip(classes, plan, strict=True):  # a loop: no generator per stage
            if found is not None and found[0] is not getattr(cls, name):
                plan = None
                break
    if plan is None:
        plan = _PLANS[key] = [_lookup(cls, name) for cls in classes]
    return plan


class _Cached(ExtensionContextManagerBase):
    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = []
        self.default_hook = getattr(SchemaExtension, self.HOOK_NAME)
        name = self.HOOK_NAME
        plan = _plan(name, tuple([type(extension) for extension in extensions]))
        for extension, found in zip(extensions, plan, strict=True):
            if found is None:
                continue
            function, manager = found
            if manager is None:
                hook = self.get_hook(extension)
                if hook:
                    self.hooks.append(hook)
                continue
            self.hooks.append(
                WrappedHook(
                    extension=extension,
                    hook=partial(manager, function, (extension,), {}),
                    is_async=manager is _ASYNC,
                )
            )


class _Operation(_Cached, OperationContextManager):
    pass


class _Parsing(_Cached, ParsingContextManager):
    pass


class _Validation(_Cached, ValidationContextManager):
    pass


class _Executing(_Cached, ExecutingContextManager):
    pass


class HookRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        # strawberry's, without awaiting the base class's empty answer of the extensions
        # that do not override get_results (all but one of ours).
        data: dict[str, Any] = {}
        default = SchemaExtension.get_results
        for extension in self.extensions:
            if type(extension).get_results is not default:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


def _runner(execution_context: ExecutionContext, extensions: list[SchemaExtension]) -> Any:
    return HookRunner(execution_context=execution_context, extensions=extensions)


def install(schema: Any) -> None:
    """Make `schema` (a strawberry Schema) look its extensions' hooks up once per class."""
    schema.create_extensions_runner = _runner
