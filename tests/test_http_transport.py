"""The Streamable HTTP transport: what HTTP alone decides, and how the app is mounted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp
from starlette.types import Message as ASGIMessage

from http_mcp import MCPServer
from http_mcp.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from http_mcp.types import Arguments, Tool
from tests.conftest import LEGACY, MODERN, URL, Wire, legacy_request, modern_meta, modern_request

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
LIMIT = 512


class EchoInput(BaseModel):
    text: str


def echo(arguments: Arguments[EchoInput]) -> str:
    """Echo the text back."""
    return arguments.inputs.text


def make_server(max_message_size: int = LIMIT) -> MCPServer:
    return MCPServer(
        name="transport",
        version="1.0.0",
        tools=(Tool(func=echo, inputs=EchoInput),),
        max_message_size=max_message_size,
    )


def ping_body(request_id: int | str = 1) -> bytes:
    return httpx.Request("POST", URL, json=legacy_request("ping", request_id=request_id)).content


def assert_json_error(
    response: httpx.Response, status: int, code: int, request_id: int | str | None
) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    assert body["jsonrpc"] == "2.0"
    assert body["id"] == request_id
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert "result" not in body
    return body


ERA_HEADERS = [
    pytest.param({"mcp-protocol-version": LEGACY}, id="legacy"),
    pytest.param({}, id="legacy-no-header"),
    pytest.param({"mcp-protocol-version": MODERN, "mcp-method": "ping"}, id="modern"),
]

# -- HTTP method, content type, accept ----------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
async def test_methods_other_than_post_are_405_with_allow_post(
    wire_of: WireOf, method: str
) -> None:
    wire = wire_of(make_server())
    response = await wire.client.request(method, URL, headers={"accept": "application/json"})
    assert_json_error(response, 405, INVALID_REQUEST, None)
    assert response.headers["allow"] == "POST"


async def test_missing_content_type_is_415(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    response = await wire.client.post(URL, content=ping_body())
    assert "content-type" not in response.request.headers
    assert_json_error(response, 415, INVALID_REQUEST, None)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "text/json", ""],
)
async def test_content_type_other_than_json_is_415(wire_of: WireOf, content_type: str) -> None:
    wire = wire_of(make_server())
    response = await wire.post(ping_body(), {"content-type": content_type})
    assert_json_error(response, 415, INVALID_REQUEST, None)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", " application/json "]
)
async def test_json_content_type_with_parameters_or_capitals_is_accepted(
    wire_of: WireOf, content_type: str
) -> None:
    wire = wire_of(make_server())
    response = await wire.post(ping_body(), {"content-type": content_type})
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


@pytest.mark.parametrize(
    "accept",
    [
        "text/html",
        "image/*",
        "application/xml, text/html;q=0.9",
        "application/json;q=0",
        "application/json; q=0.0",
        "*/*;q=0",
    ],
)
async def test_accept_that_excludes_json_is_406(wire_of: WireOf, accept: str) -> None:
    wire = wire_of(make_server())
    response = await wire.post(ping_body(), {"accept": accept})
    assert_json_error(response, 406, INVALID_REQUEST, None)


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",
        "application/*",
        "application/json",
        "APPLICATION/JSON",
        "application/json;q=0.9",
        "application/json, text/event-stream",
        "text/html, application/json;q=0.1",
        "text/event-stream;q=1, */*;q=0.5",
    ],
)
async def test_accept_that_admits_json_is_answered(wire_of: WireOf, accept: str) -> None:
    wire = wire_of(make_server())
    response = await wire.post(ping_body(), {"accept": accept})
    assert response.status_code == 200
    assert response.json()["result"] == {}


async def test_missing_accept_is_answered(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    request = wire.client.build_request(
        "POST", URL, content=ping_body(), headers={"content-type": "application/json"}
    )
    del request.headers["accept"]
    response = await wire.client.send(request)
    assert "accept" not in response.request.headers
    assert response.status_code == 200
    assert response.json()["result"] == {}


# -- size -------------------------------------------------------------------------------------


async def test_body_of_exactly_max_message_size_is_answered(wire_of: WireOf) -> None:
    body = ping_body()
    wire = wire_of(make_server(max_message_size=len(body) + 10))
    response = await wire.post(body + b" " * 10)
    assert response.status_code == 200
    assert response.json()["result"] == {}


async def test_body_over_max_message_size_by_content_length_is_413(wire_of: WireOf) -> None:
    body = ping_body()
    wire = wire_of(make_server(max_message_size=len(body) + 10))
    response = await wire.post(body + b" " * 11)
    assert response.request.headers["content-length"] == str(len(body) + 11)
    assert_json_error(response, 413, INVALID_REQUEST, None)


async def test_declared_oversize_body_is_refused_before_it_is_read() -> None:
    server = make_server()
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(LIMIT + 1).encode()),
        ],
    }
    sent: list[ASGIMessage] = []

    async def receive() -> ASGIMessage:
        raise AssertionError("the body of an oversize request must not be read")

    async def send(message: ASGIMessage) -> None:
        sent.append(message)

    await server.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert b"Traceback" not in sent[1]["body"]


async def test_undeclared_oversize_body_in_one_message_is_413() -> None:
    """No Content-Length, the whole body in one ASGI message: the size is checked all the same."""
    server = make_server()
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "headers": [(b"content-type", b"application/json")],
    }
    sent: list[ASGIMessage] = []

    async def receive() -> ASGIMessage:
        return {"type": "http.request", "body": b" " * (LIMIT + 1), "more_body": False}

    async def send(message: ASGIMessage) -> None:
        sent.append(message)

    await server.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == INVALID_REQUEST


async def _chunks(body: bytes, size: int = 64) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_streamed_body_over_max_message_size_is_413_without_content_length(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server())
    body = ping_body() + b" " * LIMIT
    response = await wire.client.post(
        URL, content=_chunks(body), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_json_error(response, 413, INVALID_REQUEST, None)


async def test_streamed_body_within_max_message_size_is_answered(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body = ping_body() + b" " * 200
    response = await wire.client.post(
        URL, content=_chunks(body, 16), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}


async def test_server_default_limit_admits_a_large_ordinary_call(wire_of: WireOf) -> None:
    wire = wire_of(MCPServer(name="t", version="1", tools=(Tool(func=echo, inputs=EchoInput),)))
    text = "x" * 1_000_000
    response = await wire.legacy("tools/call", {"name": "echo", "arguments": {"text": text}})
    assert response.status_code == 200
    assert response.json()["result"]["content"] == [{"type": "text", "text": text}]


# -- bodies that are not requests, at both eras ------------------------------------------------

BAD_BODIES = [
    pytest.param(b"not json", PARSE_ERROR, None, id="not-json"),
    pytest.param(b"", PARSE_ERROR, None, id="empty"),
    pytest.param(b"\xff\xfe{}", PARSE_ERROR, None, id="invalid-utf8"),
    pytest.param(
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":NaN}}',
        PARSE_ERROR,
        None,
        id="nan",
    ),
    pytest.param(b"[" * 50_000 + b"]" * 50_000, PARSE_ERROR, None, id="deeply-nested"),
    pytest.param(b"[]", INVALID_REQUEST, None, id="empty-batch"),
    pytest.param(b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', INVALID_REQUEST, None, id="batch"),
    pytest.param(b'"ping"', INVALID_REQUEST, None, id="string"),
    pytest.param(b'{"id":7,"method":"ping"}', INVALID_REQUEST, 7, id="jsonrpc-missing"),
    pytest.param(
        b'{"jsonrpc":"1.0","id":"r","method":"ping"}', INVALID_REQUEST, "r", id="jsonrpc-1.0"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', INVALID_REQUEST, None, id="id-float"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":true,"method":"ping"}', INVALID_REQUEST, None, id="id-bool"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":null,"method":"ping"}', INVALID_REQUEST, None, id="id-null"
    ),
    pytest.param(
        b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', INVALID_REQUEST, None, id="id-object"
    ),
    pytest.param(b'{"jsonrpc":"2.0","id":3,"method":7}', INVALID_REQUEST, 3, id="method-number"),
    pytest.param(
        b'{"jsonrpc":"2.0","id":"p","method":"ping","params":[1]}',
        INVALID_PARAMS,
        "p",
        id="params-array",
    ),
]


@pytest.mark.parametrize("headers", ERA_HEADERS)
@pytest.mark.parametrize(("body", "code", "request_id"), BAD_BODIES)
async def test_body_that_is_not_a_request_is_a_json_error_echoing_a_readable_id(
    wire_of: WireOf,
    headers: dict[str, str],
    body: bytes,
    code: int,
    request_id: int | str | None,
) -> None:
    wire = wire_of(make_server(max_message_size=1_000_000))
    response = await wire.post(body, headers)
    # Invalid params are answered at 200 at the handshake wire, like every -32602 there.
    handshake = headers.get("mcp-protocol-version", LEGACY) == LEGACY
    status = 200 if code == INVALID_PARAMS and handshake else 400
    assert_json_error(response, status, code, request_id)


# -- notifications and posted responses --------------------------------------------------------

NOTIFICATIONS = [
    pytest.param(
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"mcp-protocol-version": LEGACY},
        id="legacy",
    ),
    pytest.param(
        {"jsonrpc": "2.0", "method": "notifications/initialized"}, {}, id="legacy-no-header"
    ),
    pytest.param(
        {
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": 1, "_meta": modern_meta()},
        },
        {"mcp-protocol-version": MODERN, "mcp-method": "notifications/cancelled"},
        id="modern",
    ),
    pytest.param(
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"mcp-protocol-version": LEGACY},
        id="unknown-notification",
    ),
]


@pytest.mark.parametrize(("body", "headers"), NOTIFICATIONS)
async def test_notification_is_202_with_an_empty_body(
    wire_of: WireOf, body: dict[str, Any], headers: dict[str, str]
) -> None:
    wire = wire_of(make_server())
    response = await wire.post(body, headers)
    assert response.status_code == 202
    assert response.content == b""
    assert "content-type" not in response.headers


POSTED_RESPONSES = [
    pytest.param({"jsonrpc": "2.0", "id": 1, "result": {}}, id="result"),
    pytest.param({"jsonrpc": "2.0", "id": "e", "error": {"code": -1, "message": "no"}}, id="error"),
    pytest.param(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "bad"}},
        id="error-null-id",
    ),
]


@pytest.mark.parametrize("headers", ERA_HEADERS)
@pytest.mark.parametrize("body", POSTED_RESPONSES)
async def test_posted_response_is_202_with_an_empty_body(
    wire_of: WireOf, headers: dict[str, str], body: dict[str, Any]
) -> None:
    wire = wire_of(make_server())
    response = await wire.post(body, headers)
    assert response.status_code == 202
    assert response.content == b""


async def test_notification_with_unsupported_version_header_is_400(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    response = await wire.post(body, {"mcp-protocol-version": "1999-01-01"})
    error = assert_json_error(response, 400, UNSUPPORTED_PROTOCOL_VERSION, None)
    assert error["error"]["data"]["requested"] == "1999-01-01"


# -- routing headers read by the transport -----------------------------------------------------


@pytest.mark.parametrize(
    ("era", "duplicated"),
    [
        pytest.param("legacy", "mcp-protocol-version", id="legacy-version"),
        pytest.param("modern", "mcp-protocol-version", id="modern-version"),
        pytest.param("modern", "mcp-method", id="modern-method"),
        pytest.param("modern", "mcp-name", id="modern-name"),
    ],
)
async def test_duplicated_routing_header_is_header_mismatch(
    wire_of: WireOf, era: str, duplicated: str
) -> None:
    wire = wire_of(make_server())
    params = {"name": "echo", "arguments": {"text": "hi"}}
    if era == "legacy":
        body: dict[str, Any] = legacy_request("tools/call", params, request_id="d")
        headers = {"mcp-protocol-version": LEGACY}
    else:
        body, headers = modern_request("tools/call", params, request_id="d")
    raw = [
        ("content-type", "application/json"),
        *headers.items(),
        (duplicated, headers[duplicated]),
    ]
    response = await wire.client.post(URL, json=body, headers=raw)
    assert response.request.headers.get_list(duplicated) == [headers[duplicated]] * 2
    body_out = assert_json_error(response, 400, HEADER_MISMATCH, "d")
    assert "\x00" not in body_out["error"]["message"]


# -- mounting -----------------------------------------------------------------------------------


async def _post_ping(app: ASGIApp, url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        return await client.post(url, json=legacy_request("ping", request_id="m"))


async def test_route_endpoint_answers_the_exact_path_without_redirect() -> None:
    server = make_server()
    response = await _post_ping(Starlette(routes=[Route("/mcp", server.app)]), URL)
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": "m", "result": {}}


async def test_route_endpoint_without_methods_answers_get_itself_with_405() -> None:
    server = make_server()
    app = Starlette(routes=[Route("/mcp", server.app)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        response = await client.get(URL)
    assert_json_error(response, 405, INVALID_REQUEST, None)
    assert response.headers["allow"] == "POST"


async def test_fastapi_add_route_answers_post() -> None:
    server = make_server()
    app = FastAPI()
    # Starlette types `add_route` for request handlers only; an ASGI app works at run time.
    app.add_route("/mcp", server.app, methods=["POST"])  # type: ignore[arg-type]
    response = await _post_ping(app, URL)
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": "m", "result": {}}


async def test_mount_answers_the_path_with_a_trailing_slash() -> None:
    server = make_server()
    response = await _post_ping(Starlette(routes=[Mount("/mcp", app=server.app)]), URL + "/")
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": "m", "result": {}}


async def test_mount_redirects_post_to_the_exact_path_with_307() -> None:
    """Documented limitation: `Mount` answers `POST /mcp` with a redirect many clients drop."""
    server = make_server()
    response = await _post_ping(Starlette(routes=[Mount("/mcp", app=server.app)]), URL)
    assert response.status_code == 307
    assert response.headers["location"] == URL + "/"


async def test_app_served_on_its_own_answers_over_a_real_socket(live: Any) -> None:
    server = make_server()
    running = live(server.app)
    async with httpx.AsyncClient(timeout=10) as client:
        answered = await client.post(running.url, json=legacy_request("ping", request_id=5))
        refused = await client.get(running.url)
        unparsable = await client.post(
            running.url, content=b"{", headers={"content-type": "application/json"}
        )
    assert answered.status_code == 200
    assert answered.json() == {"jsonrpc": "2.0", "id": 5, "result": {}}
    assert_json_error(refused, 405, INVALID_REQUEST, None)
    assert_json_error(unparsable, 400, PARSE_ERROR, None)
