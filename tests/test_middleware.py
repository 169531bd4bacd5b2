"""`MCPServer(middleware=[...])`: order, what it sees, short-circuits, and scopes first."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.jsonrpc import JSONRPCError
from http_mcp.middleware import CallNext, MCPCall, Middleware
from http_mcp.testing import AsyncTestClient, MCPError
from http_mcp.types import Arguments, Prompt, Resource, Tool
from tests.conftest import LEGACY, MODERN, Wire, send, starlette_app

pytestmark = pytest.mark.anyio
ERAS = pytest.mark.parametrize("protocol", [MODERN, LEGACY])
WireOf = Callable[..., Wire]


class Query(BaseModel):
    query: str


def lookup(arguments: Arguments[Query]) -> str:
    return f"found {arguments.inputs.query}"


def fail(arguments: Arguments[Query]) -> str:
    raise ToolError("no such thing")


def secret_tool(arguments: Arguments[Query]) -> str:
    return "secret"


def greet() -> str:
    return "hello"


def notes() -> str:
    return "notes"


def tools() -> tuple[Tool, ...]:
    return (
        Tool(func=lookup),
        Tool(func=fail),
        Tool(func=secret_tool, scopes=("admin",)),
    )


def server_with(*middleware: Middleware) -> MCPServer:
    return MCPServer(
        name="s",
        version="1",
        tools=tools(),
        prompts=(Prompt(func=greet), Prompt(func=greet, name="admin_prompt", scopes=("admin",))),
        resources=(
            Resource(func=notes, uri="file:///notes"),
            Resource(func=notes, uri="file:///admin", scopes=("admin",)),
        ),
        middleware=middleware,
    )


class Recorder:
    """A middleware that notes what it saw and what came back."""

    def __init__(self, name: str, order: list[str]) -> None:
        self.name = name
        self.order = order
        self.seen: list[MCPCall] = []
        self.outcomes: list[Any] = []

    async def __call__(self, call: MCPCall, call_next: CallNext) -> dict[str, Any]:
        self.seen.append(call)
        self.order.append(f"{self.name} in")
        try:
            result = await call_next()
        except JSONRPCError as exc:
            self.outcomes.append(exc)
            raise
        finally:
            self.order.append(f"{self.name} out")
        self.outcomes.append(result)
        return result


@ERAS
async def test_middleware_runs_in_order_around_the_call_and_sees_the_request(
    protocol: str,
) -> None:
    order: list[str] = []
    outer, inner = Recorder("outer", order), Recorder("inner", order)
    async with AsyncTestClient(server_with(outer, inner), protocol=protocol) as client:
        result = await client.call_tool("lookup", {"query": "q"})
    assert result.text == "found q"
    assert order[-4:] == ["outer in", "inner in", "inner out", "outer out"]
    call = outer.seen[-1]
    assert (call.method, call.target, call.protocol_version) == ("tools/call", "lookup", protocol)
    assert call.params["arguments"] == {"query": "q"}
    assert call.request_id == inner.seen[-1].request_id
    assert call.request.headers["content-type"] == "application/json"
    assert call.user is None
    assert call.scopes == frozenset()
    assert "tools/call" in repr(call)
    with pytest.raises(TypeError):
        call.params["arguments"] = {}  # type: ignore[index]
    assert outer.outcomes[-1]["content"][0]["text"] == "found q"


async def test_middleware_sees_a_tool_error_as_a_result_and_a_protocol_error_raised() -> None:
    recorder = Recorder("r", [])
    async with AsyncTestClient(server_with(recorder)) as client:
        failed = await client.call_tool("fail", {"query": "q"})
        with pytest.raises(MCPError):
            await client.request(
                "tools/call",
                {"name": "lookup", "arguments": {"query": "q"}, "inputResponses": 5},
            )
        await client.call_tool("lookup", {})
    assert failed.is_error
    tool_error, invalid_name, invalid_arguments = recorder.outcomes[-3:]
    assert tool_error["isError"] is True
    assert isinstance(invalid_name, JSONRPCError)
    assert invalid_name.code == -32602
    assert invalid_arguments["isError"] is True


async def test_the_caller_and_its_scopes_are_visible() -> None:
    recorder = Recorder("r", [])
    async with AsyncTestClient(server_with(recorder), scopes=["admin"]) as client:
        await client.call_tool("secret_tool", {"query": "q"})
    call = recorder.seen[-1]
    assert call.target == "secret_tool"
    assert call.scopes == frozenset({"admin"})
    assert call.user is not None
    assert call.user.display_name == "test-client"


@ERAS
async def test_a_short_circuit_answers_with_the_middlewares_error(protocol: str) -> None:
    async def refuse(call: MCPCall, call_next: CallNext) -> dict[str, Any]:
        if call.method == "tools/call":
            raise JSONRPCError(-32001, "Not now", {"retryAfterSeconds": 3})
        return await call_next()

    reached: list[str] = []

    async def after(call: MCPCall, call_next: CallNext) -> dict[str, Any]:
        reached.append(call.method)
        return await call_next()

    async with AsyncTestClient(server_with(refuse, after), protocol=protocol) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("lookup", {"query": "q"})
        assert [tool.name for tool in await client.list_tools()] == ["lookup", "fail"]
    assert (caught.value.code, caught.value.message) == (-32001, "Not now")
    assert caught.value.data == {"retryAfterSeconds": 3}
    assert "tools/call" not in reached


async def test_a_short_circuit_may_answer_with_a_result() -> None:
    async def canned(call: MCPCall, call_next: CallNext) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": "from the middleware"}], "isError": True}

    async with AsyncTestClient(server_with(canned)) as client:
        result = await client.call_tool("lookup", {"query": "q"})
    assert (result.text, result.is_error) == ("from the middleware", True)


async def test_a_middleware_that_raises_or_returns_no_dict_is_an_internal_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(call: MCPCall, call_next: CallNext) -> dict[str, Any]:
        if call.method == "prompts/list":
            raise RuntimeError("boom")
        if call.method == "resources/list":
            return "no dict"  # type: ignore[return-value]
        return await call_next()

    async with AsyncTestClient(server_with(broken)) as client:
        for call in (client.list_prompts(), client.list_resources()):
            with pytest.raises(MCPError) as caught:
                await call
            assert (caught.value.code, caught.value.message) == (-32603, "Internal error")
    assert "boom" in caplog.text
    assert "no dict" in caplog.text


@ERAS
@pytest.mark.parametrize(
    ("method", "params"),
    [
        pytest.param("tools/call", {"name": "secret_tool", "arguments": {"query": "q"}}, id="tool"),
        pytest.param("tools/call", {"name": "missing"}, id="missing-tool"),
        pytest.param("tools/call", {"name": 7}, id="bad-name"),
        pytest.param("prompts/get", {"name": "admin_prompt"}, id="prompt"),
        pytest.param("resources/read", {"uri": "file:///admin"}, id="resource"),
        pytest.param("resources/read", {"uri": 3}, id="bad-uri"),
        pytest.param(
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "admin_prompt"}, "argument": {"name": "a"}},
            id="completion",
        ),
        pytest.param("no/such/method", {}, id="unknown-method"),
    ],
)
async def test_middleware_never_sees_what_the_callers_scopes_hide(
    wire_of: WireOf, protocol: str, method: str, params: dict[str, Any]
) -> None:
    recorder = Recorder("r", [])
    era = "modern" if protocol == MODERN else "legacy"
    with_middleware = await send(wire_of(server_with(recorder)), era, method, params)
    without = await send(wire_of(server_with()), era, method, params)
    assert with_middleware.status_code == without.status_code
    assert with_middleware.json() == without.json()
    assert "error" in with_middleware.json()
    assert recorder.seen == []


async def test_lists_reach_middleware_filtered_and_decoded(wire_of: WireOf) -> None:
    recorder = Recorder("r", [])
    response = await send(wire_of(server_with(recorder)), "modern", "tools/list")
    assert [t["name"] for t in response.json()["result"]["tools"]] == ["lookup", "fail"]
    assert [t["name"] for t in recorder.outcomes[-1]["tools"]] == ["lookup", "fail"]


async def test_middleware_runs_under_stdio() -> None:
    recorder = Recorder("r", [])
    lines = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "lookup", "arguments": {"query": "q"}},
        },
    ]
    stdin = io.BytesIO(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    stdout = io.BytesIO()
    await server_with(recorder).serve_stdio(stdin=stdin, stdout=stdout)
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert answers[-1]["result"]["content"][0]["text"] == "found q"
    assert [call.method for call in recorder.seen] == ["initialize", "tools/call"]
    assert recorder.seen[-1].request.client is None


def test_middleware_must_be_a_sequence_of_callables() -> None:
    with pytest.raises(TypeError, match="sequence of async functions"):
        MCPServer(name="s", version="1", middleware=Recorder("r", []))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must hold async functions"):
        MCPServer(name="s", version="1", middleware=["nope"])  # type: ignore[list-item]


def test_the_app_with_middleware_mounts_like_any_other() -> None:
    assert starlette_app(server_with(Recorder("r", []))).routes


async def test_a_malformed_completion_reaches_middleware_and_is_refused(wire_of: WireOf) -> None:
    recorder = Recorder("r", [])
    params = {"ref": "not an object", "argument": {"name": "a"}}
    response = await send(wire_of(server_with(recorder)), "modern", "completion/complete", params)
    assert response.json()["error"]["code"] == -32602
    assert [call.method for call in recorder.seen] == ["completion/complete"]
