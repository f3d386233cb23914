"""apiTokenRevoke: refused at once on every instance, open subscriptions closed (4403),
and a token may revoke only itself and what it could have minted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.settings import Settings
from tests import factories
from tests.api.test_availability_feed import FEED
from tests.conftest import Api

REVOKE = """mutation($id: ID!) { apiTokenRevoke(id: $id) {
  token { id name revokedAt } userErrors { field code message } } }"""
TOKEN = """mutation($input: ApiTokenInput!) { apiTokenCreate(input: $input) {
  token { id } secret userErrors { code } } }"""


@pytest.fixture(scope="module")
def second(settings: Settings) -> Iterator[TestClient]:
    """Another app instance on the same database (and Redis, when configured): a worker."""
    with TestClient(create_app(settings)) as client:
        yield client


def mint(api: Api, kind: str, scopes: list[str], **binding: str) -> tuple[str, str]:
    """(global id, secret) of a new token."""
    result = api(
        TOKEN,
        {"input": {"name": f"t-{time.monotonic_ns()}", "kind": kind, "scopes": scopes, **binding}},
    )["apiTokenCreate"]
    assert result["userErrors"] == [], result
    return result["token"]["id"], result["secret"]


def refused(client: TestClient, secret: str) -> bool:
    body = Api(client, secret).raw("{ viewer { name } }")
    errors: list[dict[str, Any]] = body.get("errors") or []
    return any(e["extensions"]["code"] == "UNAUTHENTICATED" for e in errors)


def test_a_revoked_token_is_refused_on_every_instance_and_its_subscription_closed(
    api: Api, client: TestClient, second: TestClient
) -> None:
    token_id, secret = mint(api, "admin", ["catalog:read", "inventory:read"])
    assert not refused(client, secret)
    assert not refused(second, secret)  # both instances now hold it in their caches
    bus = second.app.state.services.bus  # type: ignore[attr-defined]
    before = bus.subscriber_count
    with second.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": FEED, "variables": {"channel": "web"}},
            }
        )
        deadline = time.monotonic() + 10
        while bus.subscriber_count <= before:
            assert time.monotonic() < deadline, "subscription never became active"
            time.sleep(0.01)

        result = api(REVOKE, {"id": token_id})["apiTokenRevoke"]
        revoked_at = time.monotonic()
        assert result["userErrors"] == []
        assert result["token"]["revokedAt"] is not None
        assert refused(client, secret)  # the revoking instance: before the mutation returned
        while not refused(second, secret):
            assert time.monotonic() - revoked_at < 2, "the other instance still accepts it"
            time.sleep(0.005)
        elapsed = time.monotonic() - revoked_at
        print(f"refused on the second instance {elapsed * 1000:.0f} ms after the revocation")

        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
        assert "revoked" in (closed.value.reason or "")
    assert bus.subscriber_count == before

    # A revoked token cannot open a new connection either.
    with second.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {secret}"}})
        with pytest.raises(WebSocketDisconnect) as rejected:
            ws.receive_json()
        assert rejected.value.code == 4403


def test_a_token_revokes_itself_and_only_what_it_could_have_minted(api: Api) -> None:
    home = factories.channel(api)
    other = factories.channel(api)
    _, issuer_secret = mint(api, "admin", ["tokens:write", "catalog:read"], channel=home)
    issuer = api.as_token(issuer_secret)
    issuer_id = issuer("{ viewer { id } }")["viewer"]["id"]
    narrower, _ = mint(api, "storefront", ["catalog:read"], channel=home)
    unbound, _ = mint(api, "admin", ["catalog:read"])
    elsewhere, _ = mint(api, "storefront", ["catalog:read"], channel=other)
    broader, _ = mint(api, "storefront", ["catalog:read", "inventory:read"], channel=home)

    def revoke(token_id: str) -> dict[str, Any]:
        payload: dict[str, Any] = issuer(REVOKE, {"id": token_id})["apiTokenRevoke"]
        return payload

    not_found = [{"field": ["id"], "code": "NOT_FOUND", "message": "Unknown token."}]
    for token_id in (unbound, elsewhere, broader, "bm9wZQ", "QXBpVG9rZW46OTk5OTk5OQ"):
        assert revoke(token_id) == {"token": None, "userErrors": not_found}, token_id
    first = revoke(narrower)
    assert first["userErrors"] == []
    assert revoke(narrower) == first  # twice changes nothing: the same revocation time
    assert revoke(issuer_id)["userErrors"] == []
    assert refused(api.client, issuer_secret)


def test_revoking_needs_tokens_write(api: Api) -> None:
    token_id, _ = mint(api, "admin", ["catalog:read"])
    _, secret = mint(api, "admin", ["catalog:read"])
    body = api.as_token(secret).raw(REVOKE, {"id": token_id})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not refused(api.client, secret)
