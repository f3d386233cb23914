"""Look ahead into a field's selection so list resolvers can prefetch in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


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
