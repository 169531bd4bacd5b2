"""The official MCP Python SDK's STDIO client launching `http-mcp run ... --stdio`, both eras."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent

from tests.conftest import LEGACY, MODERN
from tests.fixtures.stdio_server import GREETING, SECRET

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT: Final = Path(sys.executable).parent / "http-mcp"
TIMEOUT: Final = 20.0
MODES = [
    pytest.param("auto", MODERN, id="2026-07-28"),
    pytest.param("legacy", LEGACY, id="2025-11-25"),
]


@asynccontextmanager
async def connect(mode: str, *options: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=str(CONSOLE_SCRIPT),
        args=["run", "tests.fixtures.stdio_server:app", "--stdio", *options],
        cwd=ROOT,
    )
    with anyio.fail_after(TIMEOUT):
        async with Client(params, mode=mode, read_timeout_seconds=10) as client:
            yield client


def only_text(content: object) -> str:
    assert isinstance(content, list)
    assert len(content) == 1
    block = content[0]
    assert isinstance(block, TextContent)
    return block.text


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_sdk_client_negotiates_the_era_and_lists_tools(mode: str, version: str) -> None:
    async with connect(mode) as client:
        assert client.protocol_version == version
        assert client.server_info is not None
        assert client.server_info.name == "stdio-fixture"
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert names == ["echo", "wait", "noisy", "greeting", "whoami"]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_sdk_client_calls_tools_and_reads_the_lifespan_state(mode: str, version: str) -> None:
    async with connect(mode) as client:
        echoed = await client.call_tool("echo", {"text": "héllo"})
        greeting = await client.call_tool("greeting", {})
        noisy = await client.call_tool("noisy", {})
        structured = await client.call_tool("whoami", {"text": "me"})
    assert not echoed.is_error
    assert only_text(echoed.content) == "héllo"
    assert only_text(greeting.content) == GREETING
    assert only_text(noisy.content) == "quiet"
    assert not structured.is_error
    assert structured.structured_content is not None
    assert structured.structured_content["echo"] == "me"


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_sdk_client_sees_invalid_arguments_as_an_error_result(
    mode: str, version: str
) -> None:
    async with connect(mode) as client:
        result = await client.call_tool("echo", {"text": 5})
    assert result.is_error
    assert only_text(result.content) == "text: must be a valid string, got 5"


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_sdk_client_gets_a_prompt(mode: str, version: str) -> None:
    async with connect(mode) as client:
        prompts = (await client.list_prompts()).prompts
        result = await client.get_prompt("greet", {"name": "Ada"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("greet", {})
    assert [prompt.name for prompt in prompts] == ["greet"]
    assert [message.role for message in result.messages] == ["user"]
    content = result.messages[0].content
    assert isinstance(content, TextContent)
    assert content.text == "Say hello to Ada."
    assert missing.value.error.code == -32602


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_scoped_tool_is_hidden_without_the_scope_option(mode: str, version: str) -> None:
    async with connect(mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        with pytest.raises(MCPError) as hidden:
            await client.call_tool("secret", {})
    assert "secret" not in names
    assert hidden.value.error.code == -32602


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_scoped_tool_is_visible_and_callable_with_the_scope_option(
    mode: str, version: str
) -> None:
    async with connect(mode, "--scope", "mcp:read") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("secret", {})
    assert "secret" in names
    assert only_text(result.content) == SECRET
