"""Text that is not text is refused at the edge, for every argument of every operation.

A NUL character or an unpaired surrogate in a string cannot be stored (PostgreSQL refuses
NUL, UTF-8 cannot encode a lone surrogate) and means nothing in a code, a name or a
search. graphql-core does not let an application redefine `String`, so the request's
variables and the document's string literals are checked here, once, before anything
runs: one rule for queries, mutations and subscriptions, present and future, answered
INVALID with the place of the bad string. Lengths, numbers and dates are the domain's
rules (domain/validation.py) and come back as userErrors.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit

from domain.validation import is_text

MESSAGE = "is not valid text: it contains a NUL character or an unpaired surrogate."
# No input type nests this deep; graphql-core's coercion of a value nested hundreds of
# levels deep takes hundreds of milliseconds before it fails.
MAX_VARIABLE_DEPTH = 32


def bad_variable(variables: dict[str, Any] | None) -> GraphQLError | None:
    """The first variable string that is not text, or a value nested too deep; walked
    without recursion (variables may nest as deep as the JSON parser allowed)."""
    if not variables or _all_fine(variables):
        return None
    return _first_bad(variables)


def _all_fine(variables: dict[str, Any]) -> bool:
    """Whether no string is bad and nothing nests too deep, without the paths that only an
    error needs: a batch of 1,000 inventory counts holds 5,000 values, and a path tuple per
    value cost more than the rest of the walk. The strings are checked joined, in one
    search (joining makes no NUL and no surrogate, and removes none)."""
    strings: list[str] = []
    containers: list[tuple[int, Any]] = []
    for value in variables.values():
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict | list):
            containers.append((1, value))
    while containers:
        depth, container = containers.pop()
        if depth >= MAX_VARIABLE_DEPTH and container:
            return False  # its items lie deeper than allowed
        items = container.values() if isinstance(container, dict) else container
        for value in items:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict | list):
                containers.append((depth + 1, value))
    return is_text("".join(strings))


def _first_bad(variables: dict[str, Any]) -> GraphQLError | None:
    stack: list[tuple[tuple[str, ...], Any]] = [((name,), v) for name, v in variables.items()]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_VARIABLE_DEPTH:
            return GraphQLError(
                f"Variable '${path[0]}' nests deeper than {MAX_VARIABLE_DEPTH} levels.",
                extensions={"code": "INVALID", "variable": list(path[:3])},
            )
        if isinstance(value, str):
            if not is_text(value):
                where = ".".join(path)
                return GraphQLError(
                    f"Variable '${path[0]}' at '{where}' {MESSAGE}",
                    extensions={"code": "INVALID", "variable": list(path)},
                )
        elif isinstance(value, dict):
            stack.extend(((*path, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), v) for i, v in enumerate(value))
    return None


def bad_literal(query: str, document: DocumentNode) -> GraphQLError | None:
    """A string literal that is not text; only an escape (`\\u0000`) can write one."""
    if "\\u" not in query:
        return None
    found: list[StringValueNode] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            if not found and not is_text(node.value):
                found.append(node)

    visit(document, Strings())
    if not found:
        return None
    return GraphQLError(f"A string literal {MESSAGE}", found[0], extensions={"code": "INVALID"})
