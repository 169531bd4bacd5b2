"""Scopes: what a caller may not use, it cannot see, and cannot tell apart from nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import Arguments, Prompt, Resource, Tool
from tests.conftest import Wire, send, wire_for

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])


class Query(BaseModel):
    query: str


def public_tool() -> str:
    return "public"


def read_tool(arguments: Arguments[Query]) -> str:
    return f"read {arguments.inputs.query}"


def admin_tool(arguments: Arguments[Query]) -> str:
    return f"admin {arguments.inputs.query}"


def public_prompt() -> str:
    return "public"


def admin_prompt(arguments: Arguments[Query]) -> str:
    return f"admin {arguments.inputs.query}"


TOOLS = (
    Tool(func=public_tool),
    Tool(func=read_tool, inputs=Query, scopes=("mcp:read",)),
    Tool(func=admin_tool, inputs=Query, scopes=("mcp:read", "admin")),
)
PROMPTS = (
    Prompt(func=public_prompt),
    Prompt(func=admin_prompt, arguments_type=Query, scopes=("mcp:read", "admin")),
)
SERVER = MCPServer(name="s", version="1", tools=TOOLS, prompts=PROMPTS)
# The same server without anything scoped: what "no such tool" looks like.
BARE = MCPServer(name="s", version="1", tools=TOOLS[:1], prompts=PROMPTS[:1])


async def names(wire: Wire, era: str, kind: str, **headers: str) -> list[str]:
    response = await send(wire, era, f"{kind}/list", **headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["result"][kind]]


@ERAS
@pytest.mark.parametrize("scopes", [None, "", "mcp:read", "admin", "mcp:write other"])
@pytest.mark.parametrize(
    ("method", "params"),
    [
        pytest.param("tools/call", {"name": "admin_tool", "arguments": {"query": "q"}}, id="call"),
        pytest.param("tools/call", {"name": "admin_tool", "arguments": {}}, id="call-invalid"),
        pytest.param("tools/call", {"name": "admin_tool"}, id="call-no-arguments"),
        pytest.param(
            "prompts/get", {"name": "admin_prompt", "arguments": {"query": "q"}}, id="get"
        ),
        pytest.param("prompts/get", {"name": "admin_prompt", "arguments": {}}, id="get-invalid"),
    ],
)
async def test_a_hidden_item_is_answered_exactly_like_one_that_does_not_exist(
    wire_of: WireOf, era: str, scopes: str | None, method: str, params: dict[str, Any]
) -> None:
    headers = {} if scopes is None else {"x_scopes": scopes}
    hidden = await send(wire_of(SERVER), era, method, params, **headers)
    missing = await send(wire_of(BARE), era, method, params, **headers)
    assert hidden.json()["error"]["code"] == -32602
    assert hidden.status_code == missing.status_code
    assert hidden.json() == missing.json()
    assert hidden.content == missing.content


@ERAS
@pytest.mark.parametrize(
    ("scopes", "tools", "prompts"),
    [
        pytest.param(None, ["public_tool"], ["public_prompt"], id="unauthenticated"),
        pytest.param("", ["public_tool"], ["public_prompt"], id="no-scopes"),
        pytest.param("admin", ["public_tool"], ["public_prompt"], id="one-of-two"),
        pytest.param("mcp:read", ["public_tool", "read_tool"], ["public_prompt"], id="read"),
        pytest.param(
            "admin mcp:read other",
            ["public_tool", "read_tool", "admin_tool"],
            ["public_prompt", "admin_prompt"],
            id="all-and-more",
        ),
    ],
)
async def test_lists_hold_exactly_what_the_caller_has_every_scope_for(
    wire_of: WireOf, era: str, scopes: str | None, tools: list[str], prompts: list[str]
) -> None:
    headers = {} if scopes is None else {"x_scopes": scopes}
    wire = wire_of(SERVER)
    assert await names(wire, era, "tools", **headers) == tools
    assert await names(wire, era, "prompts", **headers) == prompts


@ERAS
async def test_with_the_scopes_a_scoped_tool_and_prompt_are_callable(
    wire_of: WireOf, era: str
) -> None:
    wire = wire_of(SERVER)
    tool = await send(
        wire,
        era,
        "tools/call",
        {"name": "admin_tool", "arguments": {"query": "q"}},
        x_scopes="mcp:read admin",
    )
    assert tool.status_code == 200
    assert tool.json()["result"]["content"] == [{"type": "text", "text": "admin q"}]
    prompt = await send(
        wire,
        era,
        "prompts/get",
        {"name": "admin_prompt", "arguments": {"query": "q"}},
        x_scopes="mcp:read admin",
    )
    assert prompt.status_code == 200
    assert prompt.json()["result"]["messages"][0]["content"]["text"] == "admin q"


@ERAS
async def test_with_one_of_two_scopes_a_tool_cannot_be_called(wire_of: WireOf, era: str) -> None:
    params = {"name": "admin_tool", "arguments": {"query": "q"}}
    response = await send(wire_of(SERVER), era, "tools/call", params, x_scopes="admin")
    assert response.json()["error"]["code"] == -32602


@ERAS
async def test_without_an_authentication_middleware_scoped_items_are_hidden(era: str) -> None:
    wire = wire_for(Starlette(routes=[Route("/mcp", SERVER.app)]))
    async with wire.client:
        assert await names(wire, era, "tools", x_scopes="mcp:read admin") == ["public_tool"]
        assert await names(wire, era, "prompts", x_scopes="mcp:read admin") == ["public_prompt"]
        params = {"name": "read_tool", "arguments": {"query": "q"}}
        refused = await send(wire, era, "tools/call", params, x_scopes="mcp:read")
        assert refused.json()["error"]["code"] == -32602
        allowed = await send(wire, era, "tools/call", {"name": "public_tool"})
        assert allowed.json()["result"]["content"] == [{"type": "text", "text": "public"}]


@ERAS
async def test_the_list_cache_does_not_leak_between_scope_sets(wire_of: WireOf, era: str) -> None:
    wire = wire_of(SERVER)
    everything = ["public_tool", "read_tool", "admin_tool"]
    assert await names(wire, era, "tools", x_scopes="mcp:read admin") == everything
    assert await names(wire, era, "tools") == ["public_tool"]
    assert await names(wire, era, "tools", x_scopes="admin") == ["public_tool"]
    assert await names(wire, era, "tools", x_scopes="admin mcp:read") == everything
    assert await names(wire, era, "prompts", x_scopes="mcp:read admin") == [
        "public_prompt",
        "admin_prompt",
    ]
    assert await names(wire, era, "prompts") == ["public_prompt"]
    assert await names(wire, era, "prompts", x_scopes="mcp:read admin") == [
        "public_prompt",
        "admin_prompt",
    ]


async def test_a_modern_list_is_marked_private_when_anything_is_scoped(wire_of: WireOf) -> None:
    scoped = await wire_of(SERVER).modern("tools/list")
    public = await wire_of(BARE).modern("tools/list")
    assert scoped.json()["result"]["cacheScope"] == "private"
    assert public.json()["result"]["cacheScope"] == "public"


def test_scoped_names_lists_what_each_call_needs_and_leaves_out_the_rest() -> None:
    def public() -> str:
        return "x"

    def admin() -> str:
        return "x"

    def page() -> str:
        return "x"

    server = MCPServer(
        name="s",
        version="1",
        tools=(Tool(func=public), Tool(func=admin, scopes=("admin", "mcp:read"))),
        prompts=(Prompt(func=page, scopes=("mcp:read",)),),
        resources=(Resource(uri="docs://secret", func=page, scopes=("admin",)),),
        max_message_size=1234,
    )
    assert server.scoped_names() == {
        "tools/call": {"admin": frozenset({"admin", "mcp:read"})},
        "prompts/get": {"page": frozenset({"mcp:read"})},
        "resources/read": {"docs://secret": frozenset({"admin"})},
    }
    assert server.max_message_size == 1234
