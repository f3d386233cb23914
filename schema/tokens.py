"""API token types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.tokens import model
from resolvers import ids
from resolvers import tokens as r
from schema.common import Info, UserError
from schema.inputs import ApiTokenInput
from schema.policy import PUBLIC, guard, needs


# Reachable only as the caller's own token (`viewer`), the one it just minted, or one it
# just revoked (which it could have minted).
@guard(
    id=PUBLIC,
    name=PUBLIC,
    kind=PUBLIC,
    scopes=PUBLIC,
    channel=PUBLIC,
    location=PUBLIC,
    createdAt=PUBLIC,
    customer=PUBLIC,
    revokedAt=PUBLIC,
)
@strawberry.type(description="An API token. Its secret is shown once, at creation.")
class ApiToken:
    name: str
    channel: str | None
    location: str | None
    created_at: datetime
    customer: str | None = strawberry.field(description="Customer tokens: the shopper's e-mail.")
    revoked_at: datetime | None = strawberry.field(
        description="When the token was revoked; a revoked token is refused everywhere."
    )

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


@guard(token=PUBLIC, secret=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class ApiTokenPayload:
    token: ApiToken | None
    secret: str | None = strawberry.field(description="Shown once; only its hash is stored.")
    user_errors: list[UserError]


@guard(viewer=PUBLIC)
@strawberry.type
class TokensQuery:
    @strawberry.field(description="The token making this request; null when anonymous.")
    def viewer(self, info: Info) -> ApiToken | None:
        return r.viewer(info.context)  # type: ignore[return-value]


@guard(token=PUBLIC, userErrors=PUBLIC)
@strawberry.type
class ApiTokenRevokePayload:
    token: ApiToken | None
    user_errors: list[UserError]


@guard(apiTokenCreate=needs("tokens:write"), apiTokenRevoke=needs("tokens:write"))
@strawberry.type
class TokensMutation:
    @strawberry.mutation(
        description="Issue a token; the secret is in this response only. A token can mint "
        "only tokens holding a subset of its own scopes, bound as narrowly or more."
    )
    async def api_token_create(self, info: Info, input: ApiTokenInput) -> ApiTokenPayload:
        return await r.api_token_create(info.context, input)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Revoke a token: refused at once on every worker, its open WebSocket "
        "connections closed (4403). A token may revoke itself and any token it could have "
        "minted (no scope it lacks, bound the same or more narrowly); any other id is "
        "NOT_FOUND. Revoking twice changes nothing."
    )
    async def api_token_revoke(self, info: Info, id: strawberry.ID) -> ApiTokenRevokePayload:
        return await r.api_token_revoke(info.context, id)  # type: ignore[return-value]
