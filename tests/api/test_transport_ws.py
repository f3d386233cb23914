"""WebSocket auth as clients send it (graphql-transport-ws).

GraphiQL sends its headers tab as the connection_init payload, so the key arrives as
`Authorization`; Apollo-style clients nest it under `headers`; non-browser clients can
put it on the upgrade request. A bad token closes the socket with 4403 and a reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests import factories
from tests.conftest import Api

PROTOCOL = ["graphql-transport-ws"]
VIEWER = "{ viewer { kind scopes } }"


def viewer_over_ws(ws: Any) -> Any:
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}})
    message = ws.receive_json()
    assert message["type"] == "next", message
    assert ws.receive_json() == {"id": "1", "type": "complete"}
    return message["payload"]["data"]["viewer"]


def connect(client: TestClient, **headers: str) -> Any:
    return client.websocket_connect("/graphql", subprotocols=PROTOCOL, headers=headers)


@pytest.mark.parametrize(
    "payload",
    [
        lambda s: {"authorization": f"Bearer {s}"},
        lambda s: {"Authorization": f"Bearer {s}"},  # GraphiQL's headers tab
        lambda s: {"AUTHORIZATION": f"Bearer {s}"},
        lambda s: {"headers": {"Authorization": f"Bearer {s}"}},  # Apollo-style
    ],
    ids=["lowercase", "graphiql", "uppercase", "nested-headers"],
)
def test_connection_init_payload_key_is_case_insensitive(
    client: TestClient, api: Api, payload: Any
) -> None:
    secret = factories.token(api, "admin", ["inventory:read"])
    with connect(client) as ws:
        ws.send_json({"type": "connection_init", "payload": payload(secret)})
        assert ws.receive_json()["type"] == "connection_ack"
        assert viewer_over_ws(ws) == {"kind": "admin", "scopes": ["inventory:read"]}


def test_authorization_header_on_the_upgrade_request(client: TestClient, api: Api) -> None:
    secret = factories.token(api, "admin", ["catalog:read"])
    with connect(client, Authorization=f"Bearer {secret}") as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        assert viewer_over_ws(ws) == {"kind": "admin", "scopes": ["catalog:read"]}


def test_the_payload_wins_over_the_upgrade_header(client: TestClient, api: Api) -> None:
    header_secret = factories.token(api, "admin", ["catalog:read"])
    payload_secret = factories.token(api, "admin", ["inventory:read"])
    with connect(client, Authorization=f"Bearer {header_secret}") as ws:
        ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {payload_secret}"}}
        )
        assert ws.receive_json()["type"] == "connection_ack"
        assert viewer_over_ws(ws)["scopes"] == ["inventory:read"]


def test_no_credentials_connect_anonymously(client: TestClient) -> None:
    with connect(client) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        assert viewer_over_ws(ws) is None


REFUSALS = {
    "unknown token in payload": (
        {"Authorization": "Bearer orc_nope"},
        {},
        "Forbidden: Unknown or revoked token.",
    ),
    "unknown token on upgrade": ({}, {"Authorization": "Bearer orc_nope"}, "Forbidden: Unknown"),
    "not a bearer token": ({"Authorization": "Basic dXNlcg=="}, {}, "Bearer <secret>"),
    "not a string": ({"authorization": 42}, {}, "Bearer <secret>"),
}


@pytest.mark.parametrize(("payload", "headers", "reason"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_bad_token_closes_4403_with_a_readable_reason(
    client: TestClient, payload: dict[str, Any], headers: dict[str, str], reason: str
) -> None:
    with connect(client, **headers) as ws:
        ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403
    assert reason in closed.value.reason
