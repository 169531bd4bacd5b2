"""Rich content in tool results and prompts: images, audio, embedded resources, links."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp import types as sdk
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import (
    Annotations,
    AudioContent,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    Prompt,
    PromptMessage,
    ResourceLink,
    TextContent,
    Tool,
    ToolResult,
)
from tests.conftest import LEGACY, MODERN, Wire, send

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5E"
    "rkJggg=="
)
WAV_B64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
PNG = base64.b64decode(PNG_B64)
WAV = base64.b64decode(WAV_B64)

IMAGE_WIRE = {"type": "image", "data": PNG_B64, "mimeType": "image/png"}
AUDIO_WIRE = {"type": "audio", "data": WAV_B64, "mimeType": "audio/wav"}
EMBEDDED_TEXT_WIRE = {
    "type": "resource",
    "resource": {
        "uri": "test://embedded-resource",
        "text": "This is an embedded resource content.",
        "mimeType": "text/plain",
    },
}
EMBEDDED_BLOB_WIRE = {
    "type": "resource",
    "resource": {"uri": "file:///logo.png", "blob": PNG_B64, "mimeType": "image/png"},
}
LINK_WIRE = {
    "type": "resource_link",
    "uri": "docs://report",
    "name": "report",
    "title": "Latest report",
    "description": "The latest vulnerability report.",
    "mimeType": "text/markdown",
    "size": 1234,
}

LINK = ResourceLink(
    uri="docs://report",
    name="report",
    title="Latest report",
    description="The latest vulnerability report.",
    mime_type="text/markdown",
    size=1234,
)


class Finding(BaseModel):
    package: str
    fixed_in: str


def image() -> ImageContent:
    return ImageContent.from_bytes(PNG, "image/png")


def audio() -> AudioContent:
    return AudioContent.from_bytes(WAV, "audio/wav")


def embedded_text() -> EmbeddedResource:
    return EmbeddedResource.from_text(
        "test://embedded-resource", "This is an embedded resource content.", "text/plain"
    )


def embedded_bytes() -> EmbeddedResource:
    return EmbeddedResource.from_bytes("file:///logo.png", PNG, "image/png")


def link() -> ResourceLink:
    return LINK


def mixed() -> list[ContentBlock]:
    return [
        TextContent(text="Multiple content types test:"),
        ImageContent.from_bytes(PNG, "image/png"),
        EmbeddedResource.from_text("test://mixed", '{"test":"data"}', "application/json"),
        LINK,
    ]


def annotated() -> TextContent:
    return TextContent(text="for you", annotations=Annotations(audience=("user",), priority=0.5))


def finding_with_extras() -> ToolResult:
    return ToolResult(
        output=Finding(package="django", fixed_in="4.2.1"),
        content=[ImageContent.from_bytes(PNG, "image/png"), LINK],
    )


def finding_dict_with_extras() -> ToolResult:
    return ToolResult(output={"package": "flask", "fixed_in": "3.0"}, content=[LINK])


def extras_only() -> ToolResult:
    return ToolResult(content=[TextContent(text="see the link"), LINK])


def missing_output() -> ToolResult:
    return ToolResult(content=[LINK])


def output_without_declaration() -> ToolResult:
    return ToolResult(output=Finding(package="x", fixed_in="1"))


def text_in_extras() -> ToolResult:
    return ToolResult(content=["plain text"])  # type: ignore[list-item]


TOOLS = (
    Tool(func=image, description="An image."),
    Tool(func=audio, description="A sound."),
    Tool(func=embedded_text, description="An embedded text resource."),
    Tool(func=embedded_bytes, description="An embedded binary resource."),
    Tool(func=link, description="A link."),
    Tool(func=mixed, description="Several kinds."),
    Tool(func=annotated, description="Annotated text."),
    Tool(func=finding_with_extras, output=Finding, description="A finding and more."),
    Tool(func=finding_dict_with_extras, output=Finding, description="A finding as a dict."),
    Tool(func=extras_only, description="Only extras."),
    Tool(func=missing_output, output=Finding, description="Forgets the output."),
    Tool(func=output_without_declaration, description="Output it never declared."),
    Tool(func=text_in_extras, description="A str among the extras."),
)


def picture_prompt() -> list[PromptMessage]:
    """Look at a picture, listen to a clip and read two resources."""
    return [
        PromptMessage(role="user", content=ImageContent.from_bytes(PNG, "image/png")),
        PromptMessage(role="user", content=AudioContent.from_bytes(WAV, "audio/wav")),
        PromptMessage(
            role="user",
            content=EmbeddedResource.from_text(
                "test://embedded-resource", "This is an embedded resource content.", "text/plain"
            ),
        ),
        PromptMessage(
            role="assistant",
            content=EmbeddedResource.from_bytes("file:///logo.png", PNG, "image/png"),
        ),
        PromptMessage(role="user", content=LINK),
        PromptMessage(role="user", content=TextContent(text="Please analyze the above.")),
    ]


PROMPTS = (Prompt(func=picture_prompt),)


def make_server() -> MCPServer:
    return MCPServer(name="s", version="1", tools=TOOLS, prompts=PROMPTS)


async def call(wire: Wire, era: str, name: str) -> dict[str, Any]:
    response = await send(wire, era, "tools/call", {"name": name, "arguments": {}})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


@ERAS
@pytest.mark.parametrize(
    ("tool", "block"),
    [
        ("image", IMAGE_WIRE),
        ("audio", AUDIO_WIRE),
        ("embedded_text", EMBEDDED_TEXT_WIRE),
        ("embedded_bytes", EMBEDDED_BLOB_WIRE),
        ("link", LINK_WIRE),
        (
            "annotated",
            {
                "type": "text",
                "text": "for you",
                "annotations": {"audience": ["user"], "priority": 0.5},
            },
        ),
    ],
)
async def test_a_tool_returning_one_content_block_sends_it_as_its_content(
    wire_of: WireOf, era: str, tool: str, block: dict[str, Any]
) -> None:
    result = await call(wire_of(make_server()), era, tool)
    assert result["content"] == [block]
    assert "isError" not in result
    assert "structuredContent" not in result


@ERAS
async def test_a_tool_returning_a_mixed_list_sends_every_block_in_order(
    wire_of: WireOf, era: str
) -> None:
    result = await call(wire_of(make_server()), era, "mixed")
    assert result["content"] == [
        {"type": "text", "text": "Multiple content types test:"},
        IMAGE_WIRE,
        {
            "type": "resource",
            "resource": {
                "uri": "test://mixed",
                "text": '{"test":"data"}',
                "mimeType": "application/json",
            },
        },
        LINK_WIRE,
    ]


@ERAS
async def test_tool_result_sends_the_output_json_first_then_the_extra_content(
    wire_of: WireOf, era: str
) -> None:
    result = await call(wire_of(make_server()), era, "finding_with_extras")
    assert result["structuredContent"] == {"package": "django", "fixed_in": "4.2.1"}
    assert result["content"] == [
        {"type": "text", "text": '{"package":"django","fixed_in":"4.2.1"}'},
        IMAGE_WIRE,
        LINK_WIRE,
    ]
    assert "isError" not in result


@ERAS
async def test_tool_result_output_may_be_a_dict_validated_against_the_output_model(
    wire_of: WireOf, era: str
) -> None:
    result = await call(wire_of(make_server()), era, "finding_dict_with_extras")
    assert result["structuredContent"] == {"package": "flask", "fixed_in": "3.0"}
    assert result["content"] == [
        {"type": "text", "text": '{"package":"flask","fixed_in":"3.0"}'},
        LINK_WIRE,
    ]


@ERAS
async def test_tool_result_without_output_sends_only_its_content(wire_of: WireOf, era: str) -> None:
    result = await call(wire_of(make_server()), era, "extras_only")
    assert result == {
        "content": [{"type": "text", "text": "see the link"}, LINK_WIRE],
        **({"resultType": "complete", "_meta": result["_meta"]} if era == "modern" else {}),
    }


@ERAS
@pytest.mark.parametrize("tool", ["missing_output", "output_without_declaration", "text_in_extras"])
async def test_a_tool_result_that_does_not_fit_the_declaration_is_a_server_side_failure(
    wire_of: WireOf, era: str, tool: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        result = await call(wire_of(make_server()), era, tool)
    assert result["isError"] is True
    assert result["content"] == [{"type": "text", "text": f"Tool {tool!r} failed on the server."}]
    assert "structuredContent" not in result
    assert [r for r in caplog.records if r.name == "http_mcp" and tool in r.getMessage()]


@ERAS
async def test_prompt_messages_carry_images_audio_embedded_resources_and_links(
    wire_of: WireOf, era: str
) -> None:
    response = await send(wire_of(make_server()), era, "prompts/get", {"name": "picture_prompt"})
    assert response.status_code == 200, response.text
    messages = response.json()["result"]["messages"]
    assert messages == [
        {"role": "user", "content": IMAGE_WIRE},
        {"role": "user", "content": AUDIO_WIRE},
        {"role": "user", "content": EMBEDDED_TEXT_WIRE},
        {"role": "assistant", "content": EMBEDDED_BLOB_WIRE},
        {"role": "user", "content": LINK_WIRE},
        {"role": "user", "content": {"type": "text", "text": "Please analyze the above."}},
    ]


def test_from_bytes_helpers_encode_base64_and_omit_an_absent_mime_type() -> None:
    assert ImageContent.from_bytes(b"hi", "image/gif").data == "aGk="
    assert AudioContent.from_bytes(b"hi", "audio/ogg").to_wire() == {
        "type": "audio",
        "data": "aGk=",
        "mimeType": "audio/ogg",
    }
    assert EmbeddedResource.from_bytes("x://b", b"hi").to_wire() == {
        "type": "resource",
        "resource": {"uri": "x://b", "blob": "aGk="},
    }
    assert EmbeddedResource.from_text("x://t", "hi").to_wire() == {
        "type": "resource",
        "resource": {"uri": "x://t", "text": "hi"},
    }


def test_a_resource_link_needs_a_uri_and_a_name() -> None:
    with pytest.raises(ValidationError):
        ResourceLink(uri="docs://report")  # type: ignore[call-arg]
    assert ResourceLink(uri="docs://r", name="r").to_wire() == {
        "type": "resource_link",
        "uri": "docs://r",
        "name": "r",
    }


def test_annotation_priority_is_between_zero_and_one() -> None:
    with pytest.raises(ValidationError):
        Annotations(priority=1.5)


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_sdk_client_parses_every_kind_of_content(live: Any, mode: str, version: str) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server().app)])).url
    async with Client(url, mode=mode, read_timeout_seconds=10) as client:
        assert client.protocol_version == version
        [picture] = (await client.call_tool("image", {})).content
        assert isinstance(picture, sdk.ImageContent)
        assert base64.b64decode(picture.data) == PNG
        [clip] = (await client.call_tool("audio", {})).content
        assert isinstance(clip, sdk.AudioContent)
        assert clip.mime_type == "audio/wav"
        [embedded] = (await client.call_tool("embedded_bytes", {})).content
        assert isinstance(embedded, sdk.EmbeddedResource)
        assert isinstance(embedded.resource, sdk.BlobResourceContents)
        assert base64.b64decode(embedded.resource.blob) == PNG
        mixed_content = (await client.call_tool("mixed", {})).content
        assert [type(block) for block in mixed_content] == [
            sdk.TextContent,
            sdk.ImageContent,
            sdk.EmbeddedResource,
            sdk.ResourceLink,
        ]
        linked = mixed_content[3]
        assert isinstance(linked, sdk.ResourceLink)
        assert (str(linked.uri), linked.name, linked.size) == ("docs://report", "report", 1234)
        finding = await client.call_tool("finding_with_extras", {})
        assert not finding.is_error
        assert finding.structured_content == {"package": "django", "fixed_in": "4.2.1"}
        assert [type(block) for block in finding.content] == [
            sdk.TextContent,
            sdk.ImageContent,
            sdk.ResourceLink,
        ]
        prompt = await client.get_prompt("picture_prompt")
        assert [type(m.content) for m in prompt.messages] == [
            sdk.ImageContent,
            sdk.AudioContent,
            sdk.EmbeddedResource,
            sdk.EmbeddedResource,
            sdk.ResourceLink,
            sdk.TextContent,
        ]
        assert [m.role for m in prompt.messages][3] == "assistant"
