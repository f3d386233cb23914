"""GraphQL over HTTP as specified: media types, status codes, error codes, malformed bodies.

Under `application/graphql-response+json` a request that executes nothing gets a 4xx and
no `data`; under `application/json` (legacy clients, the default) GraphQL request errors
stay 200 as the contract says. Malformed requests are 400/405/406/415 in JSON under both,
with a code and the request id, never plain text.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.http_protocol import negotiate
from tests import factories
from tests.conftest import Api, unique

GRJ = "application/graphql-response+json"
JSON = "application/json"


def post(
    client: TestClient,
    body: Any,
    accept: str | None = GRJ,
    secret: str | None = None,
    **headers: str,
) -> Any:
    if accept is not None:
        headers["Accept"] = accept
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return client.post("/graphql", json=body, headers=headers)


def only_error(response: Any) -> dict[str, Any]:
    [error] = response.json()["errors"]
    assert isinstance(error, dict)
    return error


def test_graphql_response_json_is_served_when_accepted(client: TestClient) -> None:
    response = post(client, {"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRJ, GRJ),
        (f"{GRJ}, {JSON}", GRJ),
        (f"{GRJ}; charset=utf-8, {JSON}; charset=utf-8", GRJ),
        (f"{JSON}, {GRJ};q=0.9", JSON),
        (f"{GRJ};q=0.5, */*;q=0.8", JSON),
        ("application/json, multipart/mixed", JSON),  # GraphiQL's fetcher
        ("text/html,application/xhtml+xml,*/*;q=0.8", JSON),  # a browser
        ("text/csv", None),
        (f"{JSON};q=0", None),
    ],
)
def test_accept_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


def test_application_json_stays_the_default_for_legacy_clients(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{", None, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($sku: String!) { variant(sku: $sku) { sku } }", {}, "BAD_USER_INPUT"),
        ("query($n: Int) { products(first: $n) { totalCount } }", {"n": "many"}, "BAD_USER_INPUT"),
    ],
)
def test_request_errors_are_400_without_data_in_graphql_response_json_and_200_in_json(
    client: TestClient, admin_secret: str, query: str, variables: Any, code: str
) -> None:
    body = {"query": query, "variables": variables}
    strict = post(client, body, secret=admin_secret)
    assert strict.status_code == 400
    assert strict.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert "data" not in strict.json()
    assert only_error(strict)["extensions"]["code"] == code
    legacy = post(client, body, accept=JSON, secret=admin_secret)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == JSON
    assert legacy.json()["data"] is None
    assert only_error(legacy)["extensions"]["code"] == code


def test_an_unknown_operation_name_is_a_resolution_failure(client: TestClient) -> None:
    body = {"query": "query A { __typename }", "operationName": "B"}
    strict = post(client, body)
    assert strict.status_code == 400
    assert only_error(strict)["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "B" in only_error(strict)["message"]
    legacy = post(client, body, accept=JSON)
    assert legacy.status_code == 200
    assert only_error(legacy)["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


def test_authentication_and_scope_refusals_get_401_and_403(client: TestClient, api: Api) -> None:
    query = {"query": "{ channels { code } }"}
    anonymous = post(client, query)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "data" not in anonymous.json()
    assert only_error(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
    bad_token = post(client, query, secret="orc_not_a_token")
    assert bad_token.status_code == 401
    weak = factories.token(api, "admin", ["tokens:write"])
    inventory = {"query": "{ inventoryPositions(first: 1) { totalCount } }"}
    forbidden = post(client, inventory, secret=weak)
    assert forbidden.status_code == 403
    assert only_error(forbidden)["extensions"]["code"] == "FORBIDDEN"
    # The contract's application/json answers stay 200 with the same codes.
    legacy = post(client, query, accept=JSON)
    assert legacy.status_code == 200
    assert only_error(legacy)["extensions"]["code"] == "UNAUTHENTICATED"


def test_query_limits_are_400(client: TestClient, admin_secret: str) -> None:
    deep = "{ products { edges { node { variants { product { variants { product { variants { product { variants { product { variants { sku } } } } } } } } } } } } }"
    response = post(client, {"query": deep}, secret=admin_secret)
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_field_errors_after_execution_stay_200_with_data(
    client: TestClient, admin_secret: str
) -> None:
    query = '{ products(first: 1, after: "not-a-cursor") { totalCount } viewer { kind } }'
    response = post(client, {"query": query}, secret=admin_secret)
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert body["errors"][0]["path"] == ["products"]


def channel_exists(api: Api, code: str) -> bool:
    return any(c["code"] == code for c in api("{ channels { code } }")["channels"])


@pytest.mark.parametrize("accept", [GRJ, JSON])
def test_a_mutation_over_get_is_405_and_changes_nothing(
    client: TestClient, api: Api, admin_secret: str, accept: str
) -> None:
    code = unique("ch")
    mutation = f'mutation {{ channelCreate(input: {{code: "{code}", name: "x", currency: "USD"}}) {{ userErrors {{ code }} }} }}'
    response = client.get(
        "/graphql",
        params={"query": mutation},
        headers={"Accept": accept, "Authorization": f"Bearer {admin_secret}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert not channel_exists(api, code)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_in_json(client: TestClient, method: str) -> None:
    response = client.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_accept_header_naming_no_served_type_is_406(client: TestClient) -> None:
    response = post(client, {"query": "{ __typename }"}, accept="text/csv")
    assert response.status_code == 406
    assert response.headers["content-type"] == JSON
    assert only_error(response)["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_other_content_types_are_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Accept": GRJ} | ({"Content-Type": content_type} if content_type else {})
    response = client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.status_code == 415
    assert only_error(response)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


DEEP = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
MALFORMED = {
    "not UTF-8": b'{"query": "{ \xff\xfe }"}',
    "not JSON": b'{"query": ',
    "empty": b"",
    "null": b"null",
    "a number": b"42",
    "a list": b'[{"query": "{ __typename }"}]',
    "a string": b'"{ __typename }"',
    "no query": b'{"variables": {}}',
    "query not a string": b'{"query": 7}',
    "variables a list": b'{"query": "{ __typename }", "variables": [1]}',
    "variables a string": b'{"query": "{ __typename }", "variables": "{}"}',
    "operationName a number": b'{"query": "{ __typename }", "operationName": 5}',
    "extensions a string": b'{"query": "{ __typename }", "extensions": "x"}',
    "NaN": b'{"query": "{ __typename }", "variables": {"x": NaN}}',
    "nested 100,000 deep": DEEP,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("accept", [GRJ, JSON])
def test_malformed_bodies_are_400_in_json_with_a_code_and_request_id(
    client: TestClient, body: bytes, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/graphql",
            content=body,
            headers={"Content-Type": JSON, "Accept": accept, "X-Request-Id": "req-malformed"},
        )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)
    error = only_error(response)
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": "req-malformed"}
    assert "data" not in response.json()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("req-malformed" in r.getMessage() for r in caplog.records)


def multipart(*parts: tuple[str, bytes]) -> bytes:
    fields = [
        b'--xx\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (n.encode(), v)
        for n, v in parts
    ]
    return b"".join(fields) + b"--xx--\r\n"


MALFORMED_UPLOADS = {
    "no boundary": ("multipart/form-data", b"garbage"),
    "not multipart": ("multipart/form-data; boundary=xx", b"garbage"),
    "operations not JSON": (
        "multipart/form-data; boundary=xx",
        multipart(("operations", b'{"query": ')),
    ),
    "operations a list": (
        "multipart/form-data; boundary=xx",
        multipart(("operations", b'[{"query": "{ __typename }"}]')),
    ),
    "a mapped file missing": (
        "multipart/form-data; boundary=xx",
        multipart(("operations", b'{"query": "{ __typename }"}'), ("map", b'{"0": ["v.f"]}')),
    ),
}


@pytest.mark.parametrize(
    ("content_type", "body"), MALFORMED_UPLOADS.values(), ids=MALFORMED_UPLOADS.keys()
)
def test_malformed_uploads_are_400_in_json(
    client: TestClient, content_type: str, body: bytes
) -> None:
    response = client.post(
        "/graphql", content=body, headers={"Content-Type": content_type, "Accept": GRJ}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert only_error(response)["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "params",
    [
        {"variables": "{}"},
        {"query": "{ __typename }", "variables": "{not json"},
        {"query": "{ __typename }", "variables": "[1]"},
        {"query": "{ __typename }", "extensions": "7"},
    ],
)
def test_malformed_get_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/graphql", params=params, headers={"Accept": GRJ})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "BAD_REQUEST"


def test_get_with_variables_and_an_empty_operation_name(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": "query($n: String!) { __type(name: $n) { name } }",
            "variables": '{"n": "Query"}',
            "operationName": "",
        },
        headers={"Accept": GRJ},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": {"name": "Query"}}}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("accept", "status"), [(GRJ, 400), (JSON, 200)])
def test_a_subscription_over_http_names_websocket_and_is_no_server_fault(
    client: TestClient,
    admin_secret: str,
    method: str,
    accept: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    query = 'subscription { availabilityChanged(channel: "web") { sku } }'
    headers = {"Accept": accept, "Authorization": f"Bearer {admin_secret}"}
    with caplog.at_level(logging.INFO):
        if method == "GET":
            response = client.get("/graphql", params={"query": query}, headers=headers)
        else:
            response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == status
    error = only_error(response)
    assert error["extensions"]["code"] == "WEBSOCKET_REQUIRED"
    assert "WebSocket" in error["message"]
    assert "graphql-transport-ws" in error["message"]
    assert "ws://testserver/graphql" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_client_mistakes_are_logged_below_error(
    client: TestClient, admin_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        for query in ("{", "{ noSuchField }", "{ channels { code } }"):
            post(client, {"query": query}, accept=JSON)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    refused = [r.getMessage() for r in caplog.records if r.name == "orchestra.http"]
    assert len(refused) == 3
    assert "GRAPHQL_PARSE_FAILED" in refused[0]
    assert "UNAUTHENTICATED" in refused[2]


def test_graphiql_still_opens_in_a_browser(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
