"""The official MCP Python SDK client, over a real socket, at both protocol eras."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent

from examples.vulns import app as example_app
from tests.conftest import LEGACY, MODERN
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

KNOWN_ID = "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"
MODES = [
    pytest.param("auto", MODERN, id="2026-07-28"),
    pytest.param("legacy", LEGACY, id="2025-11-25"),
]


def connect(url: str, mode: str, scopes: str | None = None) -> AbstractAsyncContextManager[Client]:
    headers = {} if scopes is None else {"x-demo-scopes": scopes}
    return sdk_client(url, mode, headers=headers)


@pytest.fixture
def url(live: Any) -> str:
    return str(live(example_app).url)


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_client_negotiates_the_era(url: str, mode: str, version: str) -> None:
    async with connect(url, mode) as client:
        assert client.protocol_version == version
        assert client.server_info is not None
        assert client.server_info.name == "vulns"


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_client_lists_and_calls_a_scoped_tool(url: str, mode: str, version: str) -> None:
    async with connect(url, mode, scopes="mcp:read") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert names == [
            "get_fix_metadata",
            "list_vulnerabilities",
            "classify_severity",
            "server_status",
        ]
        result = await client.call_tool("get_fix_metadata", {"vulnerability_id": KNOWN_ID})
        assert not result.is_error
        assert result.structured_content == {"version": "2.32.3", "is_breaking_change": False}


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_scoped_tool_is_hidden_and_refused_without_the_scope(
    url: str, mode: str, version: str
) -> None:
    async with connect(url, mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert "get_fix_metadata" not in names
        with pytest.raises(MCPError) as hidden:
            await client.call_tool("get_fix_metadata", {"vulnerability_id": KNOWN_ID})
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("no_such_tool", {})
        assert hidden.value.error.code == unknown.value.error.code == -32602


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_validation_error_reaches_the_model_as_a_declared_output(
    url: str, mode: str, version: str
) -> None:
    async with connect(url, mode, scopes="mcp:read") as client:
        result = await client.call_tool("get_fix_metadata", {"vulnerability_id": "abc123"})
        message = "vulnerability_id: must be a valid UUID4, got 'abc123'"
        assert not result.is_error
        assert result.structured_content == {"error": message}
        assert result.content == [TextContent(type="text", text=message)]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_validation_error_is_an_error_result_without_return_error_message(
    url: str, mode: str, version: str
) -> None:
    async with connect(url, mode) as client:
        result = await client.call_tool("classify_severity", {"cvss_score": "high"})
        assert result.is_error
        assert result.content == [
            TextContent(type="text", text="cvss_score: must be a valid number, got 'high'")
        ]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_client_gets_prompts(url: str, mode: str, version: str) -> None:
    async with connect(url, mode) as client:
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["triage_prompt", "upgrade_policy"]
        arguments = [(a.name, a.required) for a in prompts[0].arguments or []]
        assert arguments == [("package", True), ("severity", False)]
        result = await client.get_prompt("triage_prompt", {"package": "django"})
        text = result.messages[0].content
        assert isinstance(text, TextContent)
        assert "django" in text.text
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("triage_prompt", {})
        assert missing.value.error.code == -32602
        assert "package: is required" in missing.value.error.message
