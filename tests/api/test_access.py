"""Tokens and scopes as CONTRACT.md states them, enforced before anything runs."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from persistence.tables import api_tokens
from tests import factories
from tests.conftest import Api, unique

VIEWER = "{ viewer { id name kind scopes channel location createdAt } }"


def code(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    return str(errors[0]["extensions"]["code"])


def test_no_token_is_unauthenticated_but_introspection_and_viewer_work(api: Api) -> None:
    anonymous = api.as_token(None)
    body = anonymous.raw("{ channels { code } }")
    assert body["data"] is None
    assert code(body) == "UNAUTHENTICATED"
    assert anonymous("{ __schema { queryType { name } } }")["__schema"]["queryType"] == {
        "name": "Query"
    }
    assert anonymous(VIEWER) == {"viewer": None}


def test_unknown_or_malformed_token_is_unauthenticated(api: Api) -> None:
    assert code(api.as_token("orc_not-a-token").raw("{ channels { code } }")) == "UNAUTHENTICATED"
    response = api.client.post(
        "/graphql", json={"query": "{ channels { code } }"}, headers={"Authorization": "Basic x"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_missing_scope_is_forbidden_and_nothing_runs(api: Api) -> None:
    reader = api.as_token(factories.token(api, "admin", ["catalog:read"]))
    handle = unique("p")
    body = reader.raw(
        factories.PRODUCT,
        {
            "input": {
                "handle": handle,
                "title": "x",
                "variants": [{"sku": unique("S"), "title": "x"}],
            }
        },
    )
    assert body["data"] is None
    assert code(body) == "FORBIDDEN"
    assert (
        api("query($h: String!) { product(handle: $h) { id } }", {"h": handle})["product"] is None
    )


def test_nested_field_scopes_apply_too(api: Api) -> None:
    """catalog:read alone cannot reach inventory through Variant.availability."""
    reader = api.as_token(factories.token(api, "admin", ["catalog:read"]))
    body = reader.raw('{ variant(sku: "x") { sku availability(channel: "web") { available } } }')
    assert code(body) == "FORBIDDEN"


def test_token_create_shows_the_secret_once_and_stores_only_its_hash(
    api: Api, client: TestClient
) -> None:
    channel = factories.channel(api)
    result = api(
        factories.TOKEN,
        {
            "input": {
                "name": "storefront",
                "kind": "storefront",
                "scopes": ["catalog:read", "inventory:read"],
                "channel": channel,
            }
        },
    )["apiTokenCreate"]
    secret = result["secret"]
    assert result["token"]["channel"] == channel
    viewer = api.as_token(secret)(VIEWER)["viewer"]
    assert (viewer["kind"], viewer["scopes"], viewer["channel"]) == (
        "storefront",
        ["catalog:read", "inventory:read"],
        channel,
    )
    assert "secret" not in str(api.as_token(secret).raw(VIEWER))
    stored = _stored_hashes(client)
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert all(secret not in value for value in stored)


def _stored_hashes(client: TestClient) -> list[str]:
    db = client.app.state.services.db  # type: ignore[attr-defined]

    async def read() -> list[str]:
        async with db.read() as conn:
            return [row.secret_hash for row in await conn.execute(select(api_tokens.c.secret_hash))]

    portal = client.portal
    assert portal is not None  # set while the client's `with` block runs
    result: list[str] = portal.call(read)
    return result


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"kind": "wizard", "scopes": ["catalog:read"]}, ["input", "kind"], "INVALID"),
        ({"kind": "admin", "scopes": ["catalog:everything"]}, ["input", "scopes", "0"], "INVALID"),
        ({"kind": "storefront", "scopes": ["catalog:read"]}, ["input", "channel"], "INVALID"),
        (
            {"kind": "partner", "scopes": ["finance:read"], "channel": "web"},
            ["input", "scopes", "0"],
            "INVALID",
        ),
        (
            {"kind": "partner", "scopes": ["catalog:read"], "channel": "nope"},
            ["input", "channel"],
            "NOT_FOUND",
        ),
        ({"kind": "admin", "scopes": []}, ["input", "scopes"], "INVALID"),
    ],
)
def test_token_rules_are_user_errors(
    api: Api, data: dict[str, object], field: list[str], error: str
) -> None:
    result = api(factories.TOKEN, {"input": {"name": "t", **data}})["apiTokenCreate"]
    assert result["token"] is None
    assert result["secret"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(field, error)]


def test_cli_token_create_prints_the_secret_last(database_url: str, api: Api) -> None:
    from tests.conftest import run_cli

    output = run_cli(
        "token",
        "create",
        "--kind",
        "partner",
        "--name",
        "3pl",
        "--scopes",
        "inventory:read,inventory:write",
        "--location",
        factories.location(api),
        database_url=database_url,
    )
    secret = output.split()[-1]
    assert api.as_token(secret)(VIEWER)["viewer"]["kind"] == "partner"
