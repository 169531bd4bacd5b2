"""Tools: how they are listed, how they are called, and how every outcome is answered."""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import anyio
import jsonschema  # type: ignore[import-untyped]
import pytest
from pydantic import BaseModel, Field

from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.testing import AsyncTestClient
from http_mcp.types import (
    Arguments,
    ImageContent,
    NoArguments,
    PromptMessage,
    TextContent,
    Tool,
    ToolAnnotations,
)
from tests.conftest import LEGACY, MODERN, Wire, send
from tests.support import error_records, only_text

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
SECRET = "secret-db-password"


async def call(wire: Wire, era: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await send(wire, era, "tools/call", params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def listed(wire: Wire, era: str) -> dict[str, dict[str, Any]]:
    response = await send(wire, era, "tools/list")
    assert response.status_code == 200, response.text
    return {tool["name"]: tool for tool in response.json()["result"]["tools"]}


def client_for(server: MCPServer, era: str) -> AsyncTestClient:
    return AsyncTestClient(server, protocol=MODERN if era == "modern" else LEGACY)


class LookupInput(BaseModel):
    vulnerability_id: str = Field(description="The vulnerability's id")
    vuln: str = Field(alias="vulnId", description="An aliased id")
    limit: int = Field(default=10, description="How many at most")


class LookupOutput(BaseModel):
    vuln: str = Field(alias="vulnId", description="The id, echoed")
    count: int


def lookup(arguments: Arguments[LookupInput]) -> LookupOutput:
    """Look a vulnerability up."""
    return LookupOutput(vulnId=arguments.inputs.vuln, count=arguments.inputs.limit)


LOOKUP_ARGS = {"vulnerability_id": "v-1", "vulnId": "abc", "limit": 3}


# -- how a tool is listed --------------------------------------------------------------------------


@ERAS
async def test_name_and_description_default_to_the_function_name_and_docstring(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(name="s", version="1", tools=(Tool(func=lookup, inputs=LookupInput),))
    tool = (await listed(wire_of(server), era))["lookup"]
    assert tool["description"] == "Look a vulnerability up."
    assert "title" not in tool
    assert "annotations" not in tool


@ERAS
async def test_explicit_name_title_description_and_annotations_override_the_defaults(
    wire_of: WireOf, era: str
) -> None:
    tool = Tool(
        func=lookup,
        inputs=LookupInput,
        output=LookupOutput,
        name="find_vulnerability",
        title="Find a vulnerability",
        description="Finds one.",
        annotations=ToolAnnotations(
            title="Finder", read_only_hint=True, destructive_hint=False, open_world_hint=False
        ),
    )
    server = MCPServer(name="s", version="1", tools=(tool,))
    tools = await listed(wire_of(server), era)
    assert list(tools) == ["find_vulnerability"]
    found = tools["find_vulnerability"]
    assert found["title"] == "Find a vulnerability"
    assert found["description"] == "Finds one."
    assert found["annotations"] == {
        "title": "Finder",
        "readOnlyHint": True,
        "destructiveHint": False,
        "openWorldHint": False,
    }
    renamed = {"name": "find_vulnerability", "arguments": LOOKUP_ARGS}
    assert (await call(wire_of(server), era, renamed)).get("isError", False) is False
    unknown = await send(wire_of(server), era, "tools/call", {"name": "lookup", "arguments": {}})
    assert unknown.json()["error"]["code"] == -32602


@ERAS
async def test_input_schema_comes_from_the_model_with_descriptions_required_and_aliases(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(
        name="s", version="1", tools=(Tool(func=lookup, inputs=LookupInput, output=LookupOutput),)
    )
    tool = (await listed(wire_of(server), era))["lookup"]
    schema = tool["inputSchema"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"vulnerability_id", "vulnId", "limit"}
    assert schema["properties"]["vulnerability_id"]["description"] == "The vulnerability's id"
    assert schema["properties"]["vulnId"]["description"] == "An aliased id"
    assert schema["properties"]["limit"]["default"] == 10
    assert sorted(schema["required"]) == ["vulnId", "vulnerability_id"]
    output_schema = tool["outputSchema"]
    assert output_schema["type"] == "object"
    assert set(output_schema["properties"]) == {"vulnId", "count"}
    assert sorted(output_schema["required"]) == ["count", "vulnId"]


@ERAS
async def test_a_tool_without_inputs_lists_an_empty_object_schema(
    wire_of: WireOf, era: str
) -> None:
    def status() -> str:
        return "up"

    server = MCPServer(name="s", version="1", tools=(Tool(func=status),))
    tool = (await listed(wire_of(server), era))["status"]
    assert tool["inputSchema"] == {"type": "object", "properties": {}}
    assert tool["description"] == ""
    assert "outputSchema" not in tool


# -- aliases on the way in and out -----------------------------------------------------------------


@ERAS
async def test_an_aliased_field_is_accepted_under_its_alias_and_returned_under_its_alias(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(
        name="s", version="1", tools=(Tool(func=lookup, inputs=LookupInput, output=LookupOutput),)
    )
    result = await call(wire_of(server), era, {"name": "lookup", "arguments": LOOKUP_ARGS})
    assert "isError" not in result or result["isError"] is False
    assert result["structuredContent"] == {"vulnId": "abc", "count": 3}


@ERAS
async def test_an_aliased_field_is_not_accepted_under_its_python_name(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(name="s", version="1", tools=(Tool(func=lookup, inputs=LookupInput),))
    arguments = {"vulnerability_id": "v-1", "vuln": "abc"}
    result = await call(wire_of(server), era, {"name": "lookup", "arguments": arguments})
    assert result["isError"] is True
    assert only_text(result) == "vulnId: is required"


# -- how a tool is run -----------------------------------------------------------------------------


@ERAS
async def test_a_sync_tool_runs_in_a_worker_thread_and_an_async_tool_on_the_event_loop(
    wire_of: WireOf, era: str
) -> None:
    threads: dict[str, threading.Thread] = {}

    def sync_tool() -> str:
        threads["sync"] = threading.current_thread()
        return "sync"

    async def async_tool() -> str:
        threads["async"] = threading.current_thread()
        return "async"

    server = MCPServer(name="s", version="1", tools=(Tool(func=sync_tool), Tool(func=async_tool)))
    wire = wire_of(server)
    assert only_text(await call(wire, era, {"name": "sync_tool"})) == "sync"
    assert only_text(await call(wire, era, {"name": "async_tool"})) == "async"
    loop_thread = threading.current_thread()
    assert threads["sync"] is not loop_thread
    assert threads["sync"] is not threading.main_thread()
    assert threads["async"] is loop_thread


async def test_a_blocking_sync_tool_does_not_block_the_event_loop(wire_of: WireOf) -> None:
    released = threading.Event()

    def wait_for_release() -> str:
        return "released" if released.wait(timeout=5) else "timed out"

    async def release() -> str:
        released.set()
        return "done"

    server = MCPServer(
        name="s", version="1", tools=(Tool(func=wait_for_release), Tool(func=release))
    )
    wire = wire_of(server)
    results: dict[str, str] = {}

    async def run(name: str) -> None:
        results[name] = only_text(await call(wire, "legacy", {"name": name}))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(run, "wait_for_release")
            group.start_soon(run, "release")
    assert results == {"wait_for_release": "released", "release": "done"}


async def greet(greeting: str, arguments: Arguments[LookupInput]) -> str:
    """Greet a vulnerability."""
    return f"{greeting} {arguments.inputs.vuln} on {threading.current_thread().name}"


class CountingTool:
    """Count the calls."""

    async def __call__(self) -> str:
        return f"counted on {threading.current_thread().name}"


def sync_wrapper_of_a_coroutine() -> Any:
    async def inner() -> str:
        return f"awaited on {threading.current_thread().name}"

    return inner()


@ERAS
async def test_partials_callable_objects_and_returned_coroutines_are_awaited_on_the_loop(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(
        name="s",
        version="1",
        tools=(
            Tool(func=functools.partial(greet, "hello"), inputs=LookupInput),
            Tool(func=CountingTool(), name="count"),
            Tool(func=sync_wrapper_of_a_coroutine),
        ),
    )
    wire = wire_of(server)
    tools = await listed(wire, era)
    assert list(tools) == ["greet", "count", "sync_wrapper_of_a_coroutine"]
    assert tools["greet"]["description"] == "Greet a vulnerability."
    assert tools["count"]["description"] == "Count the calls."
    loop = threading.current_thread().name
    greeted = await call(wire, era, {"name": "greet", "arguments": LOOKUP_ARGS})
    assert only_text(greeted) == f"hello abc on {loop}"
    assert only_text(await call(wire, era, {"name": "count"})) == f"counted on {loop}"
    awaited = await call(wire, era, {"name": "sync_wrapper_of_a_coroutine"})
    assert only_text(awaited) == f"awaited on {loop}"


@ERAS
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"arguments": {}}, id="empty-arguments"),
        pytest.param({}, id="no-arguments"),
        pytest.param({"arguments": None}, id="null-arguments"),
    ],
)
async def test_tools_without_inputs_are_callable_with_empty_or_absent_arguments(
    wire_of: WireOf, era: str, params: dict[str, Any]
) -> None:
    def no_parameter() -> str:
        return "bare"

    def no_arguments(arguments: Arguments[NoArguments]) -> str:
        assert isinstance(arguments.inputs, NoArguments)
        return "declared"

    server = MCPServer(
        name="s",
        version="1",
        tools=(Tool(func=no_parameter), Tool(func=no_arguments, inputs=NoArguments)),
    )
    wire = wire_of(server)
    assert only_text(await call(wire, era, {"name": "no_parameter", **params})) == "bare"
    assert only_text(await call(wire, era, {"name": "no_arguments", **params})) == "declared"


@ERAS
async def test_a_tool_receives_its_validated_inputs_and_the_request(
    wire_of: WireOf, era: str
) -> None:
    seen: list[Any] = []

    async def inspect_call(arguments: Arguments[LookupInput]) -> str:
        seen.append(arguments.inputs)
        seen.append(arguments.request.url.path)
        return "ok"

    server = MCPServer(name="s", version="1", tools=(Tool(func=inspect_call, inputs=LookupInput),))
    arguments = {"vulnerability_id": "v-1", "vulnId": "abc", "limit": "7"}
    await call(wire_of(server), era, {"name": "inspect_call", "arguments": arguments})
    assert seen == [LookupInput(vulnerability_id="v-1", vulnId="abc", limit=7), "/mcp"]


# -- structured output -----------------------------------------------------------------------------


@ERAS
async def test_structured_output_comes_with_a_text_block_holding_the_same_json(
    wire_of: WireOf, era: str
) -> None:
    server = MCPServer(
        name="s", version="1", tools=(Tool(func=lookup, inputs=LookupInput, output=LookupOutput),)
    )
    result = await call(wire_of(server), era, {"name": "lookup", "arguments": LOOKUP_ARGS})
    assert json.loads(only_text(result)) == result["structuredContent"]
    assert result["structuredContent"] == {"vulnId": "abc", "count": 3}


@ERAS
async def test_a_tool_may_return_its_output_as_a_dict_that_is_validated(
    wire_of: WireOf, era: str
) -> None:
    def as_dict(arguments: Arguments[LookupInput]) -> dict[str, Any]:
        return {"vulnId": arguments.inputs.vuln, "count": "5"}

    server = MCPServer(
        name="s", version="1", tools=(Tool(func=as_dict, inputs=LookupInput, output=LookupOutput),)
    )
    result = await call(wire_of(server), era, {"name": "as_dict", "arguments": LOOKUP_ARGS})
    assert result["structuredContent"] == {"vulnId": "abc", "count": 5}


class Unrelated(BaseModel):
    vulnId: str  # noqa: N815 - looks like the output on purpose
    count: int


@ERAS
@pytest.mark.parametrize(
    "returned",
    [
        pytest.param("a plain string", id="str"),
        pytest.param(None, id="none"),
        pytest.param(Unrelated(vulnId=SECRET, count=1), id="another-model"),
        pytest.param({"vulnId": SECRET, "count": "many"}, id="dict-failing-the-model"),
        pytest.param({"vuln": SECRET, "count": 1}, id="dict-with-python-names"),
    ],
)
async def test_output_that_is_not_the_declared_model_is_a_generic_logged_error(
    wire_of: WireOf, era: str, returned: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def wrong(arguments: Arguments[LookupInput]) -> Any:
        return returned

    server = MCPServer(
        name="s", version="1", tools=(Tool(func=wrong, inputs=LookupInput, output=LookupOutput),)
    )
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        result = await call(wire_of(server), era, {"name": "wrong", "arguments": LOOKUP_ARGS})
    assert result["isError"] is True
    assert "structuredContent" not in result
    text = only_text(result)
    assert SECRET not in text
    assert "count" not in text
    assert "wrong" in text
    records = error_records(caplog)
    assert len(records) == 1
    assert "wrong" in records[0].getMessage()


@ERAS
async def test_an_unexpected_exception_is_a_generic_error_with_the_traceback_only_in_the_log(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    def leaky() -> str:
        raise ValueError(SECRET)

    server = MCPServer(name="s", version="1", tools=(Tool(func=leaky),))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await send(wire_of(server), era, "tools/call", {"name": "leaky"})
    assert response.status_code == 200
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    result = response.json()["result"]
    assert result["isError"] is True
    assert "leaky" in only_text(result)
    records = error_records(caplog)
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], ValueError)
    assert "Traceback" in caplog.text
    assert SECRET in caplog.text


@ERAS
async def test_a_tool_error_is_answered_with_exactly_its_message(
    era: str, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(arguments: Arguments[LookupInput]) -> LookupOutput:
        raise ToolError("no vulnerability with that id; list them first")

    server = MCPServer(
        name="s", version="1", tools=(Tool(func=refuse, inputs=LookupInput, output=LookupOutput),)
    )
    with caplog.at_level(logging.ERROR, logger="http_mcp"), anyio.fail_after(10):
        async with client_for(server, era) as client:
            result = await client.call_tool("refuse", LOOKUP_ARGS)
    assert result.is_error is True
    assert result.structured_content is None
    assert len(result.content) == 1
    assert result.text == "no vulnerability with that id; list them first"
    assert error_records(caplog) == []


# -- return_error_message=True ---------------------------------------------------------------------


def refuse_unknown(arguments: Arguments[LookupInput]) -> LookupOutput:
    if arguments.inputs.vuln == "unknown":
        raise ToolError("no such vulnerability")
    return LookupOutput(vulnId=arguments.inputs.vuln, count=1)


def server_with_error_messages(return_error_message: bool) -> MCPServer:
    tool = Tool(
        func=refuse_unknown,
        inputs=LookupInput,
        output=LookupOutput,
        return_error_message=return_error_message,
    )
    return MCPServer(name="s", version="1", tools=(tool,))


@ERAS
async def test_with_return_error_message_invalid_input_is_the_declared_error_variant(
    era: str,
) -> None:
    arguments = {"vulnerability_id": "v-1", "limit": "many"}
    with anyio.fail_after(10):
        async with client_for(server_with_error_messages(True), era) as client:
            result = await client.call_tool("refuse_unknown", arguments)
    assert result.is_error is False
    expected = "vulnId: is required\nlimit: must be a valid integer, got 'many'"
    assert result.structured_content == {"error": expected}
    assert result.content == (TextContent(text=expected),)


@ERAS
async def test_with_return_error_message_a_tool_error_is_the_declared_error_variant(
    era: str,
) -> None:
    arguments = {**LOOKUP_ARGS, "vulnId": "unknown"}
    with anyio.fail_after(10):
        async with client_for(server_with_error_messages(True), era) as client:
            result = await client.call_tool("refuse_unknown", arguments)
    assert result.is_error is False
    assert result.structured_content == {"error": "no such vulnerability"}
    assert result.content == (TextContent(text="no such vulnerability"),)


@ERAS
async def test_with_return_error_message_an_unexpected_exception_is_still_an_error_result(
    wire_of: WireOf, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(arguments: Arguments[LookupInput]) -> LookupOutput:
        raise RuntimeError(SECRET)

    tool = Tool(func=broken, inputs=LookupInput, output=LookupOutput, return_error_message=True)
    server = MCPServer(name="s", version="1", tools=(tool,))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        result = await call(wire_of(server), era, {"name": "broken", "arguments": LOOKUP_ARGS})
    assert result["isError"] is True
    assert SECRET not in json.dumps(result)
    assert len(error_records(caplog)) == 1


@ERAS
async def test_the_output_schema_declares_the_error_variant_only_with_return_error_message(
    wire_of: WireOf, era: str
) -> None:
    success_args = {"name": "refuse_unknown", "arguments": LOOKUP_ARGS}
    error_args = {"name": "refuse_unknown", "arguments": {**LOOKUP_ARGS, "vulnId": "unknown"}}

    wire = wire_of(server_with_error_messages(True))
    schema = (await listed(wire, era))["refuse_unknown"]["outputSchema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert "anyOf" in schema
    success = (await call(wire, era, success_args))["structuredContent"]
    error = (await call(wire, era, error_args))["structuredContent"]
    assert success == {"vulnId": "abc", "count": 1}
    assert error == {"error": "no such vulnerability"}
    jsonschema.validate(success, schema)
    jsonschema.validate(error, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"count": 1}, schema)

    plain = wire_of(server_with_error_messages(False))
    plain_schema = (await listed(plain, era))["refuse_unknown"]["outputSchema"]
    jsonschema.validate(success, plain_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(error, plain_schema)


@ERAS
async def test_with_return_error_message_and_no_output_errors_are_plain_text_not_errors(
    wire_of: WireOf, era: str
) -> None:
    def refuse() -> str:
        raise ToolError("try again later")

    tool = Tool(func=refuse, return_error_message=True)
    server = MCPServer(name="s", version="1", tools=(tool,))
    result = await call(wire_of(server), era, {"name": "refuse"})
    assert result["isError"] is False
    assert "structuredContent" not in result
    assert only_text(result) == "try again later"


# -- tools without an output model -----------------------------------------------------------------


@ERAS
async def test_a_tool_without_output_returning_a_str_answers_one_text_block(
    wire_of: WireOf, era: str
) -> None:
    def hello() -> str:
        return "hello"

    server = MCPServer(name="s", version="1", tools=(Tool(func=hello),))
    result = await call(wire_of(server), era, {"name": "hello"})
    assert result["content"] == [{"type": "text", "text": "hello"}]
    assert "structuredContent" not in result
    assert result.get("isError", False) is False


@ERAS
async def test_a_tool_without_output_returning_content_blocks_answers_them_in_camel_case(
    wire_of: WireOf, era: str
) -> None:
    def picture() -> list[TextContent | ImageContent]:
        return [TextContent(text="a chart"), ImageContent(data="aGk=", mime_type="image/png")]

    def single() -> TextContent:
        return TextContent(text="one block")

    server = MCPServer(name="s", version="1", tools=(Tool(func=picture), Tool(func=single)))
    wire = wire_of(server)
    result = await call(wire, era, {"name": "picture"})
    assert result["content"] == [
        {"type": "text", "text": "a chart"},
        {"type": "image", "data": "aGk=", "mimeType": "image/png"},
    ]
    single_result = await call(wire, era, {"name": "single"})
    assert single_result["content"] == [{"type": "text", "text": "one block"}]


@ERAS
async def test_a_tool_without_output_returning_none_answers_no_content(
    wire_of: WireOf, era: str
) -> None:
    def fire_and_forget() -> None:
        return None

    server = MCPServer(name="s", version="1", tools=(Tool(func=fire_and_forget),))
    result = await call(wire_of(server), era, {"name": "fire_and_forget"})
    assert result["content"] == []
    assert result.get("isError", False) is False


@ERAS
@pytest.mark.parametrize(
    "returned",
    [
        pytest.param({"secret": SECRET}, id="dict"),
        pytest.param(42, id="int"),
        pytest.param([TextContent(text="ok"), SECRET], id="list-with-a-str"),
        pytest.param(ToolAnnotations(title=SECRET), id="a-wire-model-that-is-not-content"),
        pytest.param(
            [PromptMessage(role="user", content=TextContent(text=SECRET))],
            id="prompt-messages",
        ),
    ],
)
async def test_a_tool_without_output_returning_something_else_is_a_generic_logged_error(
    wire_of: WireOf, era: str, returned: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def odd() -> Any:
        return returned

    server = MCPServer(name="s", version="1", tools=(Tool(func=odd),))
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        result = await call(wire_of(server), era, {"name": "odd"})
    assert result["isError"] is True
    assert SECRET not in only_text(result)
    assert len(error_records(caplog)) == 1
