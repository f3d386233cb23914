"""What a function does with its resolve-info parameter, proven from its bytecode.

A plan builds graphql-core's resolve info (a 15-field tuple) and strawberry's Info (a
dataclass) for every resolver call and every `is_type_of` check: about two hundred
objects for a storefront listing. Most of our resolvers only read `info.context`, and
every `is_type_of` of ours (and strawberry's default) ignores its info. When the
bytecode shows that, a plan passes what is read instead of building what is not.

The proofs are conservative: a function whose parameter is reassigned, captured by an
inner function, passed on, or read in any way other than `info.context`, a wrapped or
non-Python function, or one that can reach its own frame (`locals()`, `sys._getframe`)
gets the full info as before.
"""

from __future__ import annotations

import dis
import inspect
import types
from typing import Any

_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK"})
# Names through which a function could see its own locals.
_FRAME_ACCESS = frozenset({"locals", "vars", "_getframe", "currentframe", "stack", "exec", "eval"})


def _code_with_parameter(function: Any, name: str) -> types.CodeType | None:
    """The plain Python code of `function` when `name` is one of its own parameters,
    never captured by an inner function, and the code cannot inspect its frame."""
    if type(function) is not types.FunctionType or hasattr(function, "__wrapped__"):
        return None
    code = function.__code__
    parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if name not in parameters or name in code.co_cellvars or name in code.co_freevars:
        return None
    if _FRAME_ACCESS.intersection(code.co_names):
        return None
    return code


def _mentions(instruction: dis.Instruction, name: str) -> bool:
    value = instruction.argval
    return value == name or (isinstance(value, tuple) and name in value)


def reads_only_context(function: Any, name: str) -> bool:
    """Whether every use of parameter `name` in `function` is `name.context`."""
    code = _code_with_parameter(function, name)
    if code is None:
        return False
    instructions = list(dis.get_instructions(code))
    for index, instruction in enumerate(instructions):
        if not _mentions(instruction, name):
            continue
        if instruction.opname not in _LOADS or index + 1 >= len(instructions):
            return False
        following = instructions[index + 1]
        if following.opname != "LOAD_ATTR" or following.argval != "context":
            return False
    return True


def ignores_parameter(function: Any, name: str) -> bool:
    """Whether parameter `name` of `function` is never read."""
    code = _code_with_parameter(function, name)
    if code is None:
        return False
    return not any(_mentions(i, name) for i in dis.get_instructions(code))


def is_type_of_ignores_info(is_type_of: Any) -> bool:
    """Whether an `is_type_of(value, info)` never reads `info` (then None may be passed):
    strawberry's default check and every classmethod of ours are isinstance checks."""
    function = is_type_of
    skipped = 0
    if inspect.ismethod(is_type_of):  # a classmethod, bound to its class
        function = is_type_of.__func__
        skipped = 1
    if type(function) is not types.FunctionType:
        return False
    code = function.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return False
    if code.co_argcount != skipped + 2 or code.co_kwonlyargcount:
        return False
    return ignores_parameter(function, code.co_varnames[skipped + 1])
