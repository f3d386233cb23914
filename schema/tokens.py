"""API token types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.tokens import model
from resolvers import ids
from schema.common import UserError


@strawberry.type(description="An API token. Its secret is shown once, at creation.")
class ApiToken:
    name: str
    channel: str | None
    location: str | None
    created_at: datetime

    @strawberry.field
    def id(root: strawberry.Parent[model.ApiToken]) -> strawberry.ID:  # type: ignore[misc]
        return strawberry.ID(ids.global_id("ApiToken", root.id))

    @strawberry.field
    def kind(root: strawberry.Parent[model.ApiToken]) -> str:  # type: ignore[misc]
        return root.kind.value

    @strawberry.field
    def scopes(root: strawberry.Parent[model.ApiToken]) -> list[str]:  # type: ignore[misc]
        return sorted(root.scopes)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model.ApiToken)


@strawberry.type
class ApiTokenPayload:
    token: ApiToken | None
    secret: str | None = strawberry.field(description="Shown once; only its hash is stored.")
    user_errors: list[UserError]
