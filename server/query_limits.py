"""The schema extensions of the query limits, built once per schema from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import SchemaExtension

from server.documents import CheckedDocuments, DocumentCache
from server.limits import Limits
from server.query_cost import QueryCost
from server.settings import Settings


@dataclass(frozen=True, slots=True)
class ExtensionFactory:
    """Makes the per-request extension; holds the process-wide document cache."""

    make: Callable[[], SchemaExtension]
    cache: DocumentCache

    def __call__(self) -> SchemaExtension:
        return self.make()


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_query_depth,
        max_introspection_depth=settings.limits.max_introspection_depth,
        max_cost=settings.max_query_cost,
        max_aliases=settings.max_aliases,
        max_fields=settings.limits.max_query_fields,
    )


def query_limit_extensions(settings: Settings) -> tuple[ExtensionFactory, ExtensionFactory]:
    """(checked parsing and validation, cost check and budget), sharing one cache."""
    limits = limits_of(settings)
    cache = DocumentCache(settings.limits.document_cache_bytes)
    tokens = settings.limits.max_query_tokens
    return (
        ExtensionFactory(lambda: CheckedDocuments(cache, limits, tokens), cache),
        ExtensionFactory(lambda: QueryCost(cache, limits), cache),
    )


def document_cache_of(schema: Any) -> DocumentCache:
    """The document cache of a served schema (for tests and the bench)."""
    for extension in schema.extensions:
        if isinstance(extension, ExtensionFactory):
            return extension.cache
    raise LookupError("the schema has no query limits")
