"""Parsing and validation with limits first, and one cache for both, bounded in bytes.

Order per request: the token limit while parsing (graphql-core stops at the limit, so a
huge document costs no more than a small one to refuse); then the document's shape
(aliases, fields) and its cost and depth measured linearly (server/limits.py); only then
graphql-core's validation, whose rules are quadratic in the worst case. A document is
cached only once it passed everything, so refused documents take no memory, and the
cache holds at most `max_bytes` by an estimate of the AST's size.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from server.input_text import bad_literal, bad_variable
from server.limits import (
    TOO_COMPLEX,
    Analyzer,
    Limits,
    Measure,
    measure_error,
    shape_error,
    too_complex,
)

# Parsed ASTs measured at ~90-130 bytes per non-blank character of the source.
_AST_BYTES_PER_CHAR = 128
# graphql-core's MaxIntrospectionDepthRule (fields -> type -> fields ... nesting).
INTROSPECTION_DEPTH = "Maximum introspection depth exceeded"
# Exact costs kept per document, one per distinct set of list sizes from variables.
_COSTS_PER_DOCUMENT = 32


def estimated_bytes(query: str) -> int:
    blank = query.count(" ") + query.count("\n") + query.count("\t")
    return 512 + 2 * len(query) + _AST_BYTES_PER_CHAR * (len(query) - blank)


@dataclass(slots=True)
class Entry:
    """A document that passed the limits and validation."""

    document: DocumentNode
    size: int
    measures: dict[str | None, Measure]  # per operation, list sizes from variables = 1
    variable_sized: bool  # whether any list size comes from a variable
    exact: dict[tuple[object, ...], Measure] = field(default_factory=dict)
    # What each operation needs of a token (server/access.py), for server/pipeline.py:
    # looked up here, a request skips hashing its document's text.
    requirements: dict[str | None, Any] = field(default_factory=dict)


class DocumentCache:
    """An LRU of validated documents by query text, bounded by estimated bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> Entry | None:
        entry = self._entries.get(query)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(query)
        return entry

    def peek(self, query: str) -> Entry | None:
        return self._entries.get(query)

    def put(self, query: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return  # one huge document must not flush everything else
        old = self._entries.pop(query, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[query] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size


def parse_limited(query: str, max_tokens: int) -> DocumentNode:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message and "Parsing aborted" in error.message:
            raise too_complex(
                f"The document has more than {max_tokens} tokens; the limit is {max_tokens}."
            ) from None
        raise


class CheckedDocuments(SchemaExtension):
    """Replaces strawberry's ParserCache and ValidationCache (count-bounded, and they
    cache refused documents too)."""

    def __init__(self, cache: DocumentCache, limits: Limits, max_tokens: int) -> None:
        self.cache = cache
        self.limits = limits
        self.max_tokens = max_tokens
        self.entry: Entry | None = None

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        query = ctx.query
        if query is not None and ctx.graphql_document is None:
            self.entry = self.cache.get(query)
            if self.entry is not None:
                ctx.graphql_document = self.entry.document
            else:
                ctx.graphql_document = parse_limited(query, self.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        bad_text = bad_variable(ctx.variables)
        if bad_text is not None:
            ctx.pre_execution_errors = [bad_text]
        elif self.entry is not None:
            ctx.pre_execution_errors = []  # validated when it was cached
        elif ctx.graphql_document is not None and ctx.query is not None:
            ctx.pre_execution_errors = self._check(ctx.query, ctx.graphql_document)
        yield

    def _check(self, query: str, document: DocumentNode) -> list[GraphQLError]:
        refused = shape_error(document, self.limits) or bad_literal(query, document)
        if refused is not None:
            return [refused]
        analyzer = Analyzer(self.execution_context.schema._schema, document)
        measures = analyzer.operations()
        for measure in measures.values():
            refused = measure_error(measure, self.limits)
            if refused is not None:
                return [refused]
        errors = validate_document(
            self.execution_context.schema._schema,
            document,
            self.execution_context.validation_rules,
        )
        for error in errors:
            if error.message == INTROSPECTION_DEPTH:  # graphql-core's own limit is one too
                error.extensions = {**(error.extensions or {}), "code": TOO_COMPLEX}
        if not errors:
            entry = Entry(document, estimated_bytes(query), measures, bool(analyzer.used_variables))
            self.cache.put(query, entry)
        return errors


def exact_measure(
    entry: Entry | None,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: str | None,
    variables: dict[str, object] | None,
) -> Measure | None:
    """The operation's measure with list sizes from this request's variables."""
    if entry is not None and not entry.variable_sized:
        return _single(entry.measures, operation)
    if entry is None:
        return _single(Analyzer(schema, document, variables or {}).operations(), operation)
    key = (operation, *sorted(_size_key(variables or {})))
    found = entry.exact.get(key)
    if found is None:
        found = _single(Analyzer(schema, document, variables or {}).operations(), operation)
        if found is None:
            return None
        if len(entry.exact) >= _COSTS_PER_DOCUMENT:
            entry.exact.clear()
        entry.exact[key] = found
    return found


def _size_key(variables: dict[str, object]) -> Iterator[tuple[str, object]]:
    # Only what can size a list matters: lengths of lists and small integers.
    for name, value in variables.items():
        if isinstance(value, list):
            yield name, ("len", len(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            yield name, ("int", max(-1, min(value, 10_000)))


def _single(measures: dict[str | None, Measure], operation: str | None) -> Measure | None:
    if operation is not None:
        return measures.get(operation)
    if len(measures) == 1:
        return next(iter(measures.values()))
    return None
