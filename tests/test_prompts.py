"""Prompts: how they are listed and how getting one is answered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field

from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.types import (
    Arguments,
    AudioContent,
    BlobResourceContents,
    EmbeddedResource,
    ImageContent,
    NoArguments,
    Prompt,
    PromptMessage,
    TextContent,
    TextResourceContents,
)
from tests.conftest import Wire, send

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
SECRET = "secret-db-password"


async def get(wire: Wire, era: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await send(wire, era, "prompts/get", params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def error_of(
    wire: Wire, era: str, params: dict[str, Any], status: dict[str, int]
) -> dict[str, Any]:
    response = await send(wire, era, "prompts/get", params)
    assert response.status_code == status[era], response.text
    body = response.json()
    assert "result" not in body
    assert body["id"] == 1
    error: dict[str, Any] = body["error"]
    return error


INVALID_PARAMS_STATUS = {"modern": 400, "legacy": 200}


class ReviewArguments(BaseModel):
    topic: str = Field(alias="topicName", description="What to review")
    depth: int = Field(default=1, description="How deep to go")
    audience: str = "engineers"


def review(arguments: Arguments[ReviewArguments]) -> list[PromptMessage]:
    """Review a topic."""
    inputs = arguments.inputs
    return [
        PromptMessage(
            role="user",
            content=TextContent(text=f"Review {inputs.topic} at depth {inputs.depth}"),
        ),
        PromptMessage(role="assistant", content=ImageContent(data="aGk=", mime_type="image/png")),
        PromptMessage(
            role="user",
            content=EmbeddedResource(
                resource=TextResourceContents(
                    uri="file:///notes.md", text="# notes", mime_type="text/markdown"
                )
            ),
        ),
        PromptMessage(
            role="user",
            content=EmbeddedResource(
                resource=BlobResourceContents(
                    uri="file:///logo.png", blob="aGk=", mime_type="image/png"
                )
            ),
        ),
        PromptMessage(role="user", content=AudioContent(data="aGk=", mime_type="audio/wav")),
    ]


REVIEW = Prompt(func=review, arguments_type=ReviewArguments)


@ERAS
async def test_prompts_list_describes_the_arguments_from_the_model(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(name="s", version="1", prompts=(REVIEW,))
    response = await send(wire_of(server), era, "prompts/list")
    assert response.status_code == 200
    [prompt] = response.json()["result"]["prompts"]
    assert prompt["name"] == "review"
    assert prompt["description"] == "Review a topic."
    assert prompt["arguments"] == [
        {"name": "topicName", "description": "What to review", "required": True},
        {"name": "depth", "description": "How deep to go", "required": False},
        {"name": "audience", "required": False},
    ]


@ERAS
async def test_explicit_name_title_and_description_override_the_defaults(
    wire_of: WireOf, era: str
) -> None:
    prompt = Prompt(
        func=review,
        arguments_type=ReviewArguments,
        name="code_review",
        title="Code review",
        description="Reviews code.",
    )
    server = MCPServer(name="s", version="1", prompts=(prompt,))
    wire = wire_of(server)
    [listed] = (await send(wire, era, "prompts/list")).json()["result"]["prompts"]
    assert listed["name"] == "code_review"
    assert listed["title"] == "Code review"
    assert listed["description"] == "Reviews code."
    result = await get(wire, era, {"name": "code_review", "arguments": {"topicName": "x"}})
    assert result["description"] == "Reviews code."
    unknown = await send(wire, era, "prompts/get", {"name": "review"})
    assert unknown.json()["error"]["code"] == -32602


@ERAS
async def test_prompts_get_serializes_every_kind_of_message_content(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(name="s", version="1", prompts=(REVIEW,))
    arguments = {"topicName": "auth.py", "depth": "2"}
    result = await get(wire_of(server), era, {"name": "review", "arguments": arguments})
    assert result["description"] == "Review a topic."
    assert result["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Review auth.py at depth 2"}},
        {
            "role": "assistant",
            "content": {"type": "image", "data": "aGk=", "mimeType": "image/png"},
        },
        {
            "role": "user",
            "content": {
                "type": "resource",
                "resource": {
                    "uri": "file:///notes.md",
                    "text": "# notes",
                    "mimeType": "text/markdown",
                },
            },
        },
        {
            "role": "user",
            "content": {
                "type": "resource",
                "resource": {"uri": "file:///logo.png", "blob": "aGk=", "mimeType": "image/png"},
            },
        },
        {
            "role": "user",
            "content": {"type": "audio", "data": "aGk=", "mimeType": "audio/wav"},
        },
    ]


@ERAS
async def test_a_prompt_returning_a_str_is_one_user_text_message(wire_of: WireOf, era: str) -> None:
    def greeting() -> str:
        return "Say hello."

    server = MCPServer(name="s", version="1", prompts=(Prompt(func=greeting),))
    result = await get(wire_of(server), era, {"name": "greeting"})
    assert result["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Say hello."}}
    ]


@ERAS
async def test_a_prompt_returning_one_message_is_a_list_of_that_message(
    wire_of: WireOf, era: str
) -> None:
    def one() -> PromptMessage:
        return PromptMessage(role="assistant", content=TextContent(text="Ready."))

    server = MCPServer(name="s", version="1", prompts=(Prompt(func=one),))
    result = await get(wire_of(server), era, {"name": "one", "arguments": {}})
    assert result["messages"] == [
        {"role": "assistant", "content": {"type": "text", "text": "Ready."}}
    ]


@ERAS
async def test_sync_prompts_run_in_a_worker_thread_and_async_prompts_on_the_event_loop(
    wire_of: WireOf, era: str
) -> None:
    threads: dict[str, threading.Thread] = {}

    def sync_prompt(arguments: Arguments[NoArguments]) -> str:
        threads["sync"] = threading.current_thread()
        return "sync"

    async def async_prompt(arguments: Arguments[NoArguments]) -> str:
        threads["async"] = threading.current_thread()
        return "async"

    server = MCPServer(
        name="s", version="1", prompts=(Prompt(func=sync_prompt), Prompt(func=async_prompt))
    )
    wire = wire_of(server)
    sync_result = await get(wire, era, {"name": "sync_prompt"})
    async_result = await get(wire, era, {"name": "async_prompt"})
    assert sync_result["messages"][0]["content"]["text"] == "sync"
    assert async_result["messages"][0]["content"]["text"] == "async"
    assert threads["sync"] is not threading.current_thread()
    assert threads["sync"] is not threading.main_thread()
    assert threads["async"] is threading.current_thread()


@ERAS
@pytest.mark.parametrize(
    ("arguments", "field_message"),
    [
        pytest.param({}, "topicName: is required", id="missing"),
        pytest.param({"topic": "x"}, "topicName: is required", id="python-name-not-alias"),
        pytest.param(
            {"topicName": "x", "depth": "deep"},
            "depth: must be a valid integer, got 'deep'",
            id="invalid",
        ),
    ],
)
async def test_invalid_prompt_arguments_are_invalid_params_naming_the_field(
    wire_of: WireOf, era: str, arguments: dict[str, Any], field_message: str
) -> None:
    server = MCPServer(name="s", version="1", prompts=(REVIEW,))
    params = {"name": "review", "arguments": arguments}
    error = await error_of(wire_of(server), era, params, INVALID_PARAMS_STATUS)
    assert error["code"] == -32602
    assert field_message in error["message"]


@ERAS
async def test_prompt_arguments_that_are_not_an_object_are_invalid_params(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(name="s", version="1", prompts=(REVIEW,))
    params = {"name": "review", "arguments": ["topicName", "x"]}
    error = await error_of(wire_of(server), era, params, INVALID_PARAMS_STATUS)
    assert error["code"] == -32602


@ERAS
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"name": "no_such_prompt"}, id="unknown-name"),
        pytest.param({}, id="no-name"),
    ],
)
async def test_getting_an_unknown_prompt_is_invalid_params(
    wire_of: WireOf, era: str, params: dict[str, Any]
) -> None:
    server = MCPServer(name="s", version="1", prompts=(REVIEW,))
    error = await error_of(wire_of(server), era, params, INVALID_PARAMS_STATUS)
    assert error["code"] == -32602


@ERAS
@pytest.mark.parametrize(
    "returned",
    [
        pytest.param(ValueError(SECRET), id="raises"),
        pytest.param({"secret": SECRET}, id="returns-a-dict"),
        pytest.param([TextContent(text=SECRET)], id="returns-content-not-messages"),
    ],
)
async def test_a_failing_prompt_is_a_generic_internal_error_with_details_only_in_the_log(
    wire_of: WireOf, era: str, returned: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> Any:
        if isinstance(returned, Exception):
            raise returned
        return returned

    server = MCPServer(name="s", version="1", prompts=(Prompt(func=broken),))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire_of(server), era, "prompts/get", {"name": "broken"})
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body["error"]["code"] == -32603
    assert body["id"] == 1
    records = [r for r in caplog.records if r.name == "http_mcp" and r.levelno >= logging.ERROR]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert "broken" in records[0].getMessage()


@ERAS
async def test_a_tool_error_in_a_prompt_is_an_internal_error_carrying_its_message(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse() -> str:
        raise ToolError("the review queue is closed")

    server = MCPServer(name="s", version="1", prompts=(Prompt(func=refuse),))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire_of(server), era, "prompts/get", {"name": "refuse"})
    error = response.json()["error"]
    assert error["code"] == -32603
    assert error["message"] == "the review queue is closed"
    assert [r for r in caplog.records if r.name == "http_mcp"] == []
