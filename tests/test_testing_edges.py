"""`http_mcp.testing`: the blocking client, and answers that are not what a client expects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from http_mcp import MCPServer
from http_mcp.testing import AsyncTestClient, MCPError, ResponseError, TestClient
from http_mcp.types import Arguments, NoArguments, Tool

JSON_HEADERS = [(b"content-type", b"application/json")]
DISCOVERED = {"resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": {}}


class Store:
    def __init__(self) -> None:
        self.items = ["a", "b"]


def count(arguments: Arguments[NoArguments]) -> str:
    """How many items the state's store holds."""
    return str(len(arguments.get_state_key("store", Store).items))


async def stall(arguments: Arguments[NoArguments]) -> str:
    """Waits for something that never comes."""
    await anyio.Event().wait()
    return "never"  # pragma: no cover - cancelled by the client's timeout


SERVER = MCPServer(name="s", version="1", tools=(Tool(func=count), Tool(func=stall)))


# -- the blocking client -----------------------------------------------------------------------


def test_a_plain_test_drives_the_server_through_the_blocking_client() -> None:
    with TestClient(SERVER, protocol="2025-11-25", state={"store": Store()}) as client:
        assert client.server.name == "s"
        assert [tool.name for tool in client.list_tools()] == ["count", "stall"]
        assert client.call_tool("count").text == "2"
        assert client.list_prompts() == []
        assert client.list_resources() == []
        assert client.list_resource_templates() == []
        assert client.request("ping") == {}
        with pytest.raises(MCPError) as caught:
            client.get_prompt("missing")
        with pytest.raises(MCPError):
            client.read_resource("nothing://here")
        with pytest.raises(MCPError):
            client.complete("argument", prompt="missing")
    assert caught.value.code == -32602


def test_an_assertion_in_the_with_block_propagates_as_it_is() -> None:
    with pytest.raises(AssertionError, match="from the test"), TestClient(SERVER):
        raise AssertionError("from the test")


def test_a_closed_blocking_client_says_how_to_open_it() -> None:
    client = TestClient(SERVER)
    with pytest.raises(RuntimeError, match="with TestClient"):
        client.list_tools()
    with client:
        assert client.list_tools()
    client.__exit__(None, None, None)
    with pytest.raises(RuntimeError, match="with TestClient"):
        client.list_tools()


def test_a_request_longer_than_the_timeout_raises_timeout_error() -> None:
    with TestClient(SERVER, timeout=0.05) as client, pytest.raises(TimeoutError):
        client.call_tool("stall")


@pytest.mark.anyio
async def test_an_exception_in_the_async_with_block_is_not_wrapped() -> None:
    with anyio.fail_after(10), pytest.raises(KeyError):
        async with AsyncTestClient(SERVER):
            raise KeyError("from the test")


@pytest.mark.anyio
async def test_a_closed_async_client_says_how_to_open_it() -> None:
    client = AsyncTestClient(SERVER)
    with pytest.raises(RuntimeError, match="async with"):
        await client.list_tools()
    with pytest.raises(RuntimeError, match="async with"):
        assert client.server
    with anyio.fail_after(10):
        async with client:
            assert await client.list_tools()
        await client.__aexit__(None, None, None)
    with pytest.raises(RuntimeError, match="async with"):
        await client.list_tools()


# -- answers that are not JSON-RPC -------------------------------------------------------------


def scripted(answer: Callable[[dict[str, Any]], tuple[int, str, bytes]]) -> Starlette:
    """A stand-in server: discovers normally, and answers everything else with `answer`."""

    async def endpoint(request: Request) -> Response:
        body = json.loads(await request.body())
        if body["method"] == "server/discover":
            reply = {"jsonrpc": "2.0", "id": body["id"], "result": DISCOVERED}
            return Response(json.dumps(reply), media_type="application/json")
        status, media_type, content = answer(body)
        return Response(content, status_code=status, media_type=media_type)

    return Starlette(routes=[Route("/mcp", endpoint, methods=["POST"])])


def event(message: dict[str, Any]) -> bytes:
    return b"event: message\r\ndata: " + json.dumps(message).encode() + b"\r\n\r\n"


NOTE = {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progress": 1}}
ANSWERS: dict[str, Callable[[dict[str, Any]], tuple[int, str, bytes]]] = {
    "not-strict-json": lambda b: (200, "application/json", b'{"jsonrpc":"2.0","result":NaN}'),
    "not-json-rpc": lambda b: (200, "application/json", b'{"error":"nope"}'),
    "plain-text": lambda b: (500, "text/plain", b"Internal Server Error"),
    "stream-without-response": lambda b: (200, "text/event-stream", event(NOTE)),
    "stream-of-junk": lambda b: (200, "text/event-stream", event({"neither": 1})),
    "accepted": lambda b: (202, "application/json", b""),
    "another-id": lambda b: (
        200,
        "application/json",
        json.dumps({"jsonrpc": "2.0", "id": "other", "result": {}}).encode(),
    ),
    "repeated-cursor": lambda b: (
        200,
        "application/json",
        json.dumps(
            {"jsonrpc": "2.0", "id": b["id"], "result": {"tools": [], "nextCursor": "c"}}
        ).encode(),
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", sorted(ANSWERS))
async def test_an_answer_that_is_not_a_json_rpc_response_is_a_response_error(case: str) -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(scripted(ANSWERS[case])) as client:
            with pytest.raises(ResponseError) as caught:
                await client.list_tools()
    assert caught.value.status_code in (200, 202, 500)


@pytest.mark.anyio
async def test_an_sse_answer_carries_its_notifications_before_the_response() -> None:
    def answer(body: dict[str, Any]) -> tuple[int, str, bytes]:
        done = {"jsonrpc": "2.0", "id": body["id"], "result": {"content": []}}
        return 200, "text/event-stream", b": comment\n\n" + event(NOTE) + event(done)

    with anyio.fail_after(10):
        async with AsyncTestClient(scripted(answer), protocol="2026-07-28") as client:
            result = await client.call_tool("anything")
    assert [p.progress for p in result.notifications.progress] == [1]


@pytest.mark.anyio
async def test_nothing_mounted_at_the_path_is_a_response_error_with_the_status() -> None:
    async with AsyncTestClient(SERVER, path="/elsewhere") as client:
        assert [tool.name for tool in await client.list_tools()] == ["count", "stall"]
    app = Starlette(routes=[Route("/mcp", SERVER.app)])
    with anyio.fail_after(10), pytest.raises(ResponseError) as other:
        async with AsyncTestClient(app, path="/api"):
            pass  # pragma: no cover - entering fails
    assert other.value.status_code == 404


@pytest.mark.anyio
async def test_a_redirect_from_a_mount_is_reported_with_where_it_points() -> None:
    app = Starlette(routes=[Mount("/mcp", SERVER.app)])
    with anyio.fail_after(10), pytest.raises(ResponseError, match="redirect") as caught:
        async with AsyncTestClient(app):
            pass  # pragma: no cover - entering fails
    assert caught.value.status_code == 307
    assert caught.value.headers["location"] == "http://localhost/mcp/"
    async with AsyncTestClient(app, path="/mcp/") as client:
        assert [tool.name for tool in await client.list_tools()] == ["count", "stall"]


@pytest.mark.anyio
async def test_an_exception_raised_by_the_app_propagates() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raise LookupError("a bug in the app")

    with anyio.fail_after(10), pytest.raises(LookupError, match="a bug in the app"):
        async with AsyncTestClient(broken):
            pass  # pragma: no cover - entering fails


@pytest.mark.anyio
async def test_an_app_that_never_answers_is_reported() -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with anyio.fail_after(10), pytest.raises(RuntimeError, match="without starting a response"):
        async with AsyncTestClient(silent):
            pass  # pragma: no cover - entering fails


@pytest.mark.anyio
async def test_the_app_sees_the_client_disconnect_only_after_the_response() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = json.loads((await receive())["body"])
        reply = {"jsonrpc": "2.0", "id": body["id"], "result": DISCOVERED}
        await send({"type": "http.response.start", "status": 200, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": json.dumps(reply).encode()})
        seen.append((await receive())["type"])

    with anyio.fail_after(10):
        async with AsyncTestClient(app) as client:
            assert client.server.capabilities == {}
    assert seen == ["http.disconnect"]
