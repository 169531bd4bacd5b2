"""The handshake revisions (2025-11-25, 2025-06-18, 2025-03-26) on the wire."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from http_mcp import MCPServer
from http_mcp.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, UNSUPPORTED_PROTOCOL_VERSION
from http_mcp.types import Prompt, Tool
from tests.conftest import LEGACY, Wire, error_of
from tests.fixtures.era_tools import (
    SECRET,
    EchoInput,
    GreetArguments,
    archive,
    crash,
    echo,
    greet,
)
from tests.support import result_of

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
LEGACY_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26"]
ALL_VERSIONS = {"2026-07-28", *LEGACY_VERSIONS}
MODERN_ONLY_FIELDS = {"resultType", "_meta", "ttlMs", "cacheScope"}


def make_server() -> MCPServer:
    return MCPServer(
        name="legacy-tests",
        version="2.0.0",
        tools=(Tool(func=echo, inputs=EchoInput), Tool(func=archive), Tool(func=crash)),
        prompts=(Prompt(func=greet, arguments_type=GreetArguments),),
        instructions="Call echo.",
    )


def initialize_params(version: str = LEGACY) -> dict[str, Any]:
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "tests", "version": "1"},
    }


# -- initialize ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
async def test_initialize_echoes_a_supported_legacy_version(wire_of: WireOf, version: str) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("initialize", initialize_params(version), version=None), 1)
    assert result["protocolVersion"] == version


@pytest.mark.parametrize("version", ["2026-07-28", "2024-11-05", "2099-01-01", "garbage", ""])
async def test_initialize_answers_an_unknown_version_with_the_latest_legacy_one(
    wire_of: WireOf, version: str
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("initialize", initialize_params(version), version=None), 1)
    assert result["protocolVersion"] == "2025-11-25"


async def test_initialize_result_names_server_capabilities_and_instructions(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("initialize", initialize_params(), version=None), 1)
    assert result["serverInfo"] == {"name": "legacy-tests", "version": "2.0.0"}
    assert set(result["capabilities"]) >= {"tools", "prompts"}
    assert result["instructions"] == "Call echo."


async def test_initialize_result_has_no_instructions_when_none_were_given(
    wire_of: WireOf,
) -> None:
    wire = wire_of(MCPServer(name="bare", version="1"))
    result = result_of(await wire.legacy("initialize", initialize_params(), version=None), 1)
    assert "instructions" not in result
    assert result["serverInfo"] == {"name": "bare", "version": "1"}


@pytest.mark.parametrize("version", [None, LEGACY])
async def test_initialize_never_issues_a_session_id(wire_of: WireOf, version: str | None) -> None:
    wire = wire_of(make_server())
    response = await wire.legacy("initialize", initialize_params(), version=version)
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers


BAD_INITIALIZE_PARAMS = [
    pytest.param(None, id="no-params"),
    pytest.param(
        {"capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}, id="no-version"
    ),
    pytest.param({**initialize_params(), "protocolVersion": 20251125}, id="version-number"),
    pytest.param({"protocolVersion": LEGACY, "clientInfo": {"name": "t"}}, id="no-capabilities"),
    pytest.param({**initialize_params(), "capabilities": []}, id="capabilities-array"),
    pytest.param({"protocolVersion": LEGACY, "capabilities": {}}, id="no-client-info"),
    pytest.param({**initialize_params(), "clientInfo": "tests"}, id="client-info-string"),
]


@pytest.mark.parametrize("params", BAD_INITIALIZE_PARAMS)
async def test_initialize_with_bad_params_is_invalid_params_at_200(
    wire_of: WireOf, params: dict[str, Any] | None
) -> None:
    wire = wire_of(make_server())
    error_of(await wire.legacy("initialize", params, version=None), 200, INVALID_PARAMS)


@pytest.mark.parametrize("version", [None, LEGACY])
async def test_initialized_notification_is_202(wire_of: WireOf, version: str | None) -> None:
    wire = wire_of(make_server())
    body = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    headers = {} if version is None else {"mcp-protocol-version": version}
    response = await wire.post(body, headers)
    assert response.status_code == 202
    assert response.content == b""


# -- requests after (or without) the handshake -------------------------------------------------


async def test_ping_answers_an_empty_object(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    assert result_of(await wire.legacy("ping"), 1) == {}


async def test_tools_list_without_a_prior_initialize_is_served(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("tools/list"), 1)
    assert [tool["name"] for tool in result["tools"]] == ["echo", "archive", "crash"]


@pytest.mark.parametrize("version", LEGACY_VERSIONS)
async def test_every_legacy_header_version_is_served(wire_of: WireOf, version: str) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("tools/call", _echo_call("hi"), version=version), 1)
    assert result["content"] == [{"type": "text", "text": "hi"}]


async def test_request_without_version_header_is_served_as_2025_03_26(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    without = await wire.legacy("tools/list", version=None)
    explicit = await wire.legacy("tools/list", version="2025-03-26")
    assert "mcp-protocol-version" not in without.request.headers
    assert result_of(without, 1) == result_of(explicit, 1)
    assert not MODERN_ONLY_FIELDS & set(result_of(without, 1))


async def test_meta_without_protocol_version_keeps_a_request_legacy(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    params = {**_echo_call("hi"), "_meta": {"progressToken": "p1"}}
    result = result_of(await wire.legacy("tools/call", params), 1)
    assert result["content"] == [{"type": "text", "text": "hi"}]
    assert "resultType" not in result


@pytest.mark.parametrize("header", ["1999-01-01", "2024-11-05", "v999", ""])
async def test_unsupported_version_header_is_400_naming_the_supported_versions(
    wire_of: WireOf, header: str
) -> None:
    wire = wire_of(make_server())
    response = await wire.legacy("tools/list", version=None, mcp_protocol_version=header)
    error = error_of(response, 400, UNSUPPORTED_PROTOCOL_VERSION)
    assert set(error["data"]["supported"]) == ALL_VERSIONS
    assert error["data"]["requested"] == header


# -- the error table at the legacy era ----------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    ["unknown/method", "server/discover", "resources/watch", "Ping", ""],
)
async def test_unknown_method_is_method_not_found_at_200(wire_of: WireOf, method: str) -> None:
    wire = wire_of(make_server())
    error_of(await wire.legacy(method, {}), 200, METHOD_NOT_FOUND)


INVALID_PARAMS_CASES = [
    pytest.param("tools/call", {"name": "nope"}, id="unknown-tool"),
    pytest.param("tools/call", {"name": "ECHO", "arguments": {"text": "a"}}, id="tool-name-case"),
    pytest.param("tools/call", {}, id="tool-name-missing"),
    pytest.param("tools/call", {"name": 5}, id="tool-name-number"),
    pytest.param("tools/call", {"name": "echo", "arguments": ["a"]}, id="arguments-array"),
    pytest.param("prompts/get", {"name": "nope"}, id="unknown-prompt"),
    pytest.param("prompts/get", {"name": "greet", "arguments": {}}, id="prompt-arguments"),
    pytest.param("tools/list", {"cursor": "garbage"}, id="tools-invalid-cursor"),
    pytest.param("tools/list", {"cursor": 3}, id="tools-cursor-number"),
    pytest.param("prompts/list", {"cursor": "garbage"}, id="prompts-invalid-cursor"),
]


@pytest.mark.parametrize(("method", "params"), INVALID_PARAMS_CASES)
async def test_invalid_params_are_answered_at_200(
    wire_of: WireOf, method: str, params: dict[str, Any]
) -> None:
    wire = wire_of(make_server())
    error_of(await wire.legacy(method, params), 200, INVALID_PARAMS)


async def test_tool_input_that_fails_validation_is_an_error_result_naming_the_field(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("tools/call", _echo_call("x" * 21)), 1)
    assert result["isError"] is True
    [block] = result["content"]
    assert block["type"] == "text"
    assert block["text"].startswith("text: ")
    assert "20" in block["text"]


async def test_tool_error_is_an_error_result_with_its_message(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy("tools/call", {"name": "archive"}), 1)
    assert result == {
        "content": [{"type": "text", "text": "the archive is offline; try again in a minute"}],
        "isError": True,
    }


async def test_tool_crash_is_a_generic_error_result_with_the_traceback_only_in_the_log(
    wire_of: WireOf, caplog: pytest.LogCaptureFixture
) -> None:
    wire = wire_of(make_server())
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await wire.legacy("tools/call", {"name": "crash"})
    result = result_of(response, 1)
    assert result["isError"] is True
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert any(record.exc_info is not None for record in caplog.records)


# -- result shapes ---------------------------------------------------------------------------------

LEGACY_RESULTS = [
    pytest.param("initialize", initialize_params(), id="initialize"),
    pytest.param("ping", None, id="ping"),
    pytest.param("tools/list", None, id="tools/list"),
    pytest.param("prompts/list", None, id="prompts/list"),
    pytest.param("tools/call", {"name": "echo", "arguments": {"text": "a"}}, id="tools/call"),
    pytest.param("tools/call", {"name": "archive"}, id="tools/call-error"),
    pytest.param("prompts/get", {"name": "greet", "arguments": {"name": "A"}}, id="prompts/get"),
]


@pytest.mark.parametrize(("method", "params"), LEGACY_RESULTS)
async def test_legacy_results_carry_no_modern_fields(
    wire_of: WireOf, method: str, params: dict[str, Any] | None
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.legacy(method, params), 1)
    assert not MODERN_ONLY_FIELDS & set(result)


async def test_prompt_get_answers_its_messages(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    params = {"name": "greet", "arguments": {"name": "Ann"}}
    result = result_of(await wire.legacy("prompts/get", params), 1)
    assert result["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Hello Ann"}}
    ]


def _echo_call(text: str) -> dict[str, Any]:
    return {"name": "echo", "arguments": {"text": text}}
