"""The conformance fixtures over STDIO, with the SDK client: the suite's requests, replayed.

The official conformance suite tests servers over HTTP only. These tests send the same
requests to the same fixture server started with `http-mcp run ... --stdio` and check the
same results, at both protocol eras.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import (
    AudioContent,
    ElicitResult,
    EmbeddedResource,
    ImageContent,
    LoggingMessageNotificationParams,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
    TextResourceContents,
)

from conformance.fixtures import PNG, WAV
from tests.conftest import LEGACY, MODERN

pytestmark = pytest.mark.anyio

ROOT: Final = Path(__file__).resolve().parent.parent
MODES = [
    pytest.param("auto", MODERN, id="2026-07-28"),
    pytest.param("legacy", LEGACY, id="2025-11-25"),
]


@asynccontextmanager
async def connect(mode: str, **options: Any) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "http_mcp", "run", "conformance.fixtures:app", "--stdio"],
        cwd=ROOT,
    )
    with anyio.fail_after(30):
        async with Client(params, mode=mode, read_timeout_seconds=10, **options) as client:
            yield client


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_tools_list_and_content_tools_answer_as_over_http(mode: str, version: str) -> None:
    async with connect(mode) as client:
        assert client.protocol_version == version
        tools = (await client.list_tools()).tools
        assert tools[0].name == "test_simple_text"
        assert all(tool.description for tool in tools)
        text = await client.call_tool("test_simple_text", {})
        assert text.content == [
            TextContent(type="text", text="This is a simple text response for testing.")
        ]
        image = (await client.call_tool("test_image_content", {})).content[0]
        assert isinstance(image, ImageContent)
        assert (image.data, image.mime_type) == (PNG, "image/png")
        audio = (await client.call_tool("test_audio_content", {})).content[0]
        assert isinstance(audio, AudioContent)
        assert (audio.data, audio.mime_type) == (WAV, "audio/wav")
        embedded = (await client.call_tool("test_embedded_resource", {})).content[0]
        assert isinstance(embedded, EmbeddedResource)
        assert str(embedded.resource.uri) == "test://embedded-resource"
        mixed = (await client.call_tool("test_multiple_content_types", {})).content
        assert [block.type for block in mixed] == ["text", "image", "resource"]
        error = await client.call_tool("test_error_handling", {})
        assert error.is_error
        assert error.content == [
            TextContent(type="text", text="This tool intentionally returns an error for testing")
        ]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_progress_and_logs_arrive_before_the_result(mode: str, version: str) -> None:
    logs: list[Any] = []
    seen: list[float] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        logs.append(params.data)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with connect(mode, logging_callback=on_log, log_level="info") as client:
        await client.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
        result = await client.call_tool("test_tool_with_logging", {})
    assert seen == [0, 50, 100]
    assert logs == ["Tool execution started", "Tool processing data", "Tool execution completed"]
    assert result.content == [
        TextContent(type="text", text="Tool with logging executed successfully")
    ]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_prompts_resources_and_completion_answer_as_over_http(
    mode: str, version: str
) -> None:
    async with connect(mode) as client:
        prompt = await client.get_prompt(
            "test_prompt_with_arguments", {"arg1": "testValue1", "arg2": "testValue2"}
        )
        text = prompt.messages[0].content
        assert isinstance(text, TextContent)
        assert text.text == "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
        embedded = await client.get_prompt(
            "test_prompt_with_embedded_resource", {"resourceUri": "test://example-resource"}
        )
        assert embedded.messages[0].content.type == "resource"
        resources = (await client.list_resources()).resources
        assert [str(r.uri) for r in resources][:2] == ["test://static-text", "test://static-binary"]
        read = (await client.read_resource("test://static-text")).contents[0]
        assert isinstance(read, TextResourceContents)
        assert read.text == "This is the content of the static text resource."
        template = (await client.read_resource("test://template/123/data")).contents[0]
        assert isinstance(template, TextResourceContents)
        assert '"id":"123"' in template.text
        completion = await client.complete(
            PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "testV"},
        )
        assert completion.completion.values == ["testValue1", "testValue2"]
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["test://template/{id}/data"]
        reference = ResourceTemplateReference(type="ref/resource", uri="test://template/{id}/data")
        assert (
            await client.complete(reference, {"name": "id", "value": ""})
        ).completion.values == []


async def test_input_required_round_trip_at_2026_07_28() -> None:
    async def answer(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"name": "Alice"})

    async with connect("auto", elicitation_callback=answer) as client:
        result = await client.call_tool("test_input_required_result_elicitation", {})
    assert result.content == [TextContent(type="text", text="Hello, Alice!")]


async def test_a_missing_client_capability_is_refused_at_2026_07_28() -> None:
    async with connect("auto") as client:
        with pytest.raises(MCPError) as refused:
            await client.call_tool("test_missing_capability", {})
    assert refused.value.error.code == -32021
    assert refused.value.error.data == {"requiredCapabilities": {"sampling": {}}}
