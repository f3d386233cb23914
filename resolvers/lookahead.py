"""Look ahead into a field's selection so list resolvers can prefetch in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)


def _children(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any]
) -> Iterable[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _children(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _children(fragment.selection_set, fragments)


def selected(info: Any, path: Sequence[str]) -> list[FieldNode]:
    """The field nodes the current field's selection reaches at `path`."""
    raw = info._raw_info
    fragments = raw.fragments
    level: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        level = [
            child
            for node in level
            for child in _children(node.selection_set, fragments)
            if child.name.value == name
        ]
        if not level:
            break
    return level


def string_arguments(info: Any, nodes: Sequence[FieldNode], name: str) -> set[str] | None:
    """Every value argument `name` takes on these nodes (literals or variables), or None
    when one of them cannot be told before execution (absent, null or not a string).
    A guess only: callers must still work (more slowly) for values not in the set."""
    variables = info._raw_info.variable_values
    variables = getattr(variables, "coerced", variables)  # VariableValues, or its dict
    found: set[str] = set()
    for node in nodes:
        value: Any = None
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, StringValueNode):
                value = argument.value.value
            elif isinstance(argument.value, VariableNode):
                value = variables.get(argument.value.name.value)
        if not isinstance(value, str):
            return None
        found.add(value)
    return found


def selects(info: Any, path: Sequence[str]) -> bool:
    """Whether the current field's selection reaches `path` (through fragments too)."""
    raw = info._raw_info
    fragments = raw.fragments
    level: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        level = [
            child
            for node in level
            for child in _children(node.selection_set, fragments)
            if child.name.value == name
        ]
        if not level:
            return False
    return True


def child_names(info: Any) -> set[str]:
    """The names the current field's selection selects directly (through fragments too):
    `name in child_names(info)` is `selects(info, (name,))`, one walk for several names."""
    raw = info._raw_info
    fragments = raw.fragments
    return {
        child.name.value
        for node in raw.field_nodes
        for child in _children(node.selection_set, fragments)
    }
