"""The stateless revision 2026-07-28 on the wire: envelope, routing headers, results, errors."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from http_mcp import MCPServer
from http_mcp.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from http_mcp.types import Prompt, Tool
from tests.conftest import MODERN, URL, Wire, error_of, modern_meta, modern_request
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
ALL_VERSIONS = {"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
SERVER_INFO = {"name": "modern-tests", "version": "3.0.0"}


def hello() -> str:
    """Say hello."""
    return "hello"


def make_server(*, list_ttl_ms: int = 60_000, instructions: str | None = "Call echo.") -> MCPServer:
    return MCPServer(
        name="modern-tests",
        version="3.0.0",
        tools=(
            Tool(func=echo, inputs=EchoInput),
            Tool(func=archive),
            Tool(func=crash),
        ),
        prompts=(
            Prompt(func=greet, arguments_type=GreetArguments),
            Prompt(func=greet, arguments_type=GreetArguments, name="grüßen"),
            # Tool names are 1-128 of [A-Za-z0-9_.-]; prompt names may need the sentinel form.
            Prompt(func=hello, name="héllo"),
            Prompt(func=hello, name=" padded "),
        ),
        instructions=instructions,
        list_ttl_ms=list_ttl_ms,
    )


def sentinel(value: str) -> str:
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


async def post_modern(
    wire: Wire,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    request_id: int | str = "r1",
    meta: Any = None,
    drop_meta: bool = False,
    headers: dict[str, str | None] | None = None,
) -> httpx.Response:
    """A 2026-07-28 request with its `_meta` and routing headers changed as a test needs."""
    body, routing = modern_request(method, params, request_id=request_id)
    if drop_meta:
        del body["params"]["_meta"]
    elif meta is not None:
        body["params"]["_meta"] = meta
    sent: dict[str, str] = dict(routing)
    for name, value in (headers or {}).items():
        if value is None:
            sent.pop(name, None)
        else:
            sent[name] = value
    return await wire.post(body, sent)


# -- server/discover ------------------------------------------------------------------------------


async def test_discover_names_versions_capabilities_and_cache_hints(wire_of: WireOf) -> None:
    wire = wire_of(make_server(list_ttl_ms=1234))
    result = result_of(await wire.modern("server/discover"))
    assert set(result["supportedVersions"]) == ALL_VERSIONS
    assert set(result["capabilities"]) >= {"tools", "prompts"}
    assert result["resultType"] == "complete"
    assert result["ttlMs"] == 1234
    assert result["cacheScope"] == "public"
    assert result["_meta"][META_SERVER_INFO] == SERVER_INFO
    assert result["instructions"] == "Call echo."
    assert "serverInfo" not in result
    assert "protocolVersion" not in result


async def test_discover_has_no_instructions_when_none_were_given(wire_of: WireOf) -> None:
    wire = wire_of(make_server(instructions=None))
    result = result_of(await wire.modern("server/discover"))
    assert "instructions" not in result


async def test_discover_server_info_carries_the_title(wire_of: WireOf) -> None:
    wire = wire_of(MCPServer(name="n", version="1", title="Nice Server"))
    result = result_of(await wire.modern("server/discover"))
    assert result["_meta"][META_SERVER_INFO] == {
        "name": "n",
        "version": "1",
        "title": "Nice Server",
    }


async def test_client_info_is_optional_in_the_envelope(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    meta = {META_VERSION: MODERN, META_CAPABILITIES: {}}
    result = result_of(await post_modern(wire, "server/discover", meta=meta))
    assert result["resultType"] == "complete"


# -- result shapes --------------------------------------------------------------------------------

MODERN_RESULTS = [
    pytest.param("server/discover", None, id="server/discover"),
    pytest.param("tools/list", None, id="tools/list"),
    pytest.param("prompts/list", None, id="prompts/list"),
    pytest.param("tools/call", {"name": "echo", "arguments": {"text": "a"}}, id="tools/call"),
    pytest.param("tools/call", {"name": "echo", "arguments": {}}, id="tools/call-invalid"),
    pytest.param("tools/call", {"name": "archive"}, id="tools/call-tool-error"),
    pytest.param("prompts/get", {"name": "greet", "arguments": {"name": "A"}}, id="prompts/get"),
]


@pytest.mark.parametrize(("method", "params"), MODERN_RESULTS)
async def test_every_result_carries_result_type_and_server_info(
    wire_of: WireOf, method: str, params: dict[str, Any] | None
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.modern(method, params))
    assert result["resultType"] == "complete"
    assert result["_meta"] == {META_SERVER_INFO: SERVER_INFO}


@pytest.mark.parametrize("method", ["tools/list", "prompts/list"])
async def test_lists_carry_ttl_and_public_scope_when_nothing_is_scoped(
    wire_of: WireOf, method: str
) -> None:
    wire = wire_of(make_server(list_ttl_ms=0))
    result = result_of(await wire.modern(method))
    assert result["ttlMs"] == 0
    assert result["cacheScope"] == "public"


SCOPED_SERVERS = [
    pytest.param(
        lambda: MCPServer(name="s", version="1", tools=(Tool(func=hello, scopes=("admin",)),)),
        "tools/list",
        "prompts/list",
        id="scoped-tool",
    ),
    pytest.param(
        lambda: MCPServer(
            name="s",
            version="1",
            prompts=(Prompt(func=greet, arguments_type=GreetArguments, scopes=("admin",)),),
        ),
        "prompts/list",
        "tools/list",
        id="scoped-prompt",
    ),
]


@pytest.mark.parametrize(("build", "depends", "same_for_all"), SCOPED_SERVERS)
async def test_cache_scope_is_private_exactly_where_the_answer_depends_on_the_caller(
    wire_of: WireOf, build: Callable[[], MCPServer], depends: str, same_for_all: str
) -> None:
    wire = wire_of(build())
    for method, scope in ((depends, "private"), ("server/discover", "private")):
        result = result_of(await wire.modern(method))
        assert result["cacheScope"] == scope, method
        assert result["ttlMs"] == 60_000
    assert result_of(await wire.modern(same_for_all))["cacheScope"] == "public"


async def test_tools_list_names_every_tool_in_declaration_order(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.modern("tools/list"))
    assert [t["name"] for t in result["tools"]] == ["echo", "archive", "crash"]


# -- envelope: _meta ------------------------------------------------------------------------------

BAD_ENVELOPES = [
    pytest.param({"drop_meta": True}, id="meta-missing"),
    pytest.param({"meta": "2026-07-28"}, id="meta-string"),
    pytest.param({"meta": [MODERN]}, id="meta-array"),
    pytest.param({"meta": {META_CAPABILITIES: {}}}, id="protocol-version-missing"),
    pytest.param({"meta": {META_VERSION: MODERN}}, id="client-capabilities-missing"),
    pytest.param({"meta": {}}, id="meta-empty"),
    pytest.param({"meta": {META_VERSION: MODERN, META_CAPABILITIES: []}}, id="capabilities-array"),
]


@pytest.mark.parametrize("change", BAD_ENVELOPES)
@pytest.mark.parametrize("method", ["server/discover", "tools/list", "tools/call"])
async def test_request_without_a_valid_meta_envelope_is_invalid_params_400(
    wire_of: WireOf, change: dict[str, Any], method: str
) -> None:
    wire = wire_of(make_server())
    params = {"name": "echo", "arguments": {"text": "a"}} if method == "tools/call" else None
    response = await post_modern(wire, method, params, **change)
    error_of(response, 400, INVALID_PARAMS, "r1")


async def test_request_without_params_at_all_is_invalid_params_400(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body = {"jsonrpc": "2.0", "id": 8, "method": "tools/list"}
    response = await wire.post(body, {"mcp-protocol-version": MODERN, "mcp-method": "tools/list"})
    error_of(response, 400, INVALID_PARAMS, 8)


# -- envelope: routing headers --------------------------------------------------------------------

HEADER_MISMATCHES = [
    pytest.param("tools/list", None, {"mcp-protocol-version": None}, id="version-missing"),
    pytest.param(
        "tools/list", None, {"mcp-protocol-version": "2025-11-25"}, id="version-legacy-header"
    ),
    pytest.param(
        "tools/list", None, {"mcp-protocol-version": "2026-07-29"}, id="version-different"
    ),
    pytest.param("tools/list", None, {"mcp-method": None}, id="method-missing"),
    pytest.param("tools/list", None, {"mcp-method": "prompts/list"}, id="method-different"),
    pytest.param("tools/list", None, {"mcp-method": "TOOLS/LIST"}, id="method-case"),
    pytest.param("tools/call", {"name": "echo"}, {"mcp-name": None}, id="tool-name-missing"),
    pytest.param("tools/call", {"name": "echo"}, {"mcp-name": "crash"}, id="tool-name-different"),
    pytest.param("tools/call", {"name": "echo"}, {"mcp-name": "Echo"}, id="tool-name-case"),
    pytest.param("prompts/get", {"name": "greet"}, {"mcp-name": None}, id="prompt-name-missing"),
    pytest.param("prompts/get", {"name": "greet"}, {"mcp-name": "x"}, id="prompt-name-different"),
    pytest.param("prompts/get", {"name": "héllo"}, {"mcp-name": "hello"}, id="non-ascii-plain"),
    pytest.param(
        "prompts/get", {"name": " padded "}, {"mcp-name": "padded"}, id="spaces-sent-plain"
    ),
]


@pytest.mark.parametrize(("method", "params", "headers"), HEADER_MISMATCHES)
async def test_routing_header_that_disagrees_with_the_body_is_header_mismatch_400(
    wire_of: WireOf,
    method: str,
    params: dict[str, Any] | None,
    headers: dict[str, str | None],
) -> None:
    wire = wire_of(make_server())
    response = await post_modern(wire, method, params, headers=headers)
    error_of(response, 400, HEADER_MISMATCH, "r1")


@pytest.mark.parametrize(
    ("method", "params", "header"),
    [
        pytest.param("tools/list", None, "mcp-protocol-version", id="version"),
        pytest.param("tools/list", None, "mcp-method", id="method"),
        pytest.param("tools/call", {"name": "echo"}, "mcp-name", id="tool-name"),
        pytest.param("prompts/get", {"name": "greet"}, "mcp-name", id="prompt-name"),
    ],
)
async def test_a_missing_routing_header_is_said_to_be_missing(
    wire_of: WireOf, method: str, params: dict[str, Any] | None, header: str
) -> None:
    wire = wire_of(make_server())
    response = await post_modern(wire, method, params, headers={header: None})
    message = error_of(response, 400, HEADER_MISMATCH, "r1")["message"]
    assert message.lower().startswith(f"{header} header is missing")
    assert "does not match" not in message


@pytest.mark.parametrize(
    ("method", "name", "arguments"),
    [
        pytest.param("prompts/get", "héllo", {}, id="non-ascii-prompt-no-arguments"),
        pytest.param("prompts/get", " padded ", {}, id="spaces-prompt"),
        pytest.param("tools/call", "echo", {"text": "hi"}, id="ascii-tool"),
        pytest.param("prompts/get", "grüßen", {"name": "Ann"}, id="non-ascii-prompt"),
    ],
)
async def test_mcp_name_in_base64_sentinel_form_is_accepted(
    wire_of: WireOf, method: str, name: str, arguments: dict[str, Any]
) -> None:
    wire = wire_of(make_server())
    params = {"name": name, "arguments": arguments}
    response = await post_modern(wire, method, params, headers={"mcp-name": sentinel(name)})
    result = result_of(response)
    assert result["resultType"] == "complete"
    assert "isError" not in result


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("=?base64?ZWNobw?=", id="missing-padding"),
        pytest.param("=?base64?ZW!!bw==?=", id="bad-alphabet"),
        pytest.param("=?base64?ZWNobw==", id="no-suffix"),
        pytest.param("?base64?ZWNobw==?=", id="no-prefix"),
        pytest.param("=?BASE64?ZWNobw==?=", id="uppercase-marker"),
        pytest.param("=?base64?/w==?=", id="not-utf8"),
        pytest.param("=?base64?ZWNobx==?=", id="non-canonical"),
        pytest.param("=?base64??=", id="empty-payload"),
    ],
)
async def test_malformed_base64_sentinel_is_header_mismatch(wire_of: WireOf, header: str) -> None:
    wire = wire_of(make_server())
    params = {"name": "echo", "arguments": {"text": "hi"}}
    response = await post_modern(wire, "tools/call", params, headers={"mcp-name": header})
    error_of(response, 400, HEADER_MISMATCH, "r1")


async def test_whitespace_around_routing_header_values_is_trimmed(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    headers: dict[str, str | None] = {
        "mcp-protocol-version": f" {MODERN}\t",
        "mcp-method": "  tools/call ",
        "mcp-name": "\techo  ",
    }
    params = {"name": "echo", "arguments": {"text": "hi"}}
    response = await post_modern(wire, "tools/call", params, headers=headers)
    assert response.request.headers["mcp-name"] == "\techo  "
    assert result_of(response)["content"] == [{"type": "text", "text": "hi"}]


@pytest.mark.parametrize("duplicated", ["mcp-protocol-version", "mcp-method", "mcp-name"])
async def test_duplicated_routing_header_is_header_mismatch(
    wire_of: WireOf, duplicated: str
) -> None:
    wire = wire_of(make_server())
    body, headers = modern_request("tools/call", {"name": "echo"}, request_id="dup")
    raw = [
        ("content-type", "application/json"),
        *headers.items(),
        (duplicated, headers[duplicated]),
    ]
    response = await wire.client.post(URL, json=body, headers=raw)
    error_of(response, 400, HEADER_MISMATCH, "dup")


async def test_header_mismatch_wins_over_an_unsupported_body_version(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    meta = {**modern_meta(), META_VERSION: "v999"}
    response = await post_modern(wire, "server/discover", meta=meta)
    error_of(response, 400, HEADER_MISMATCH, "r1")


@pytest.mark.parametrize("version", ["v999", "2099-01-01", "2026-07-28-draft"])
async def test_unsupported_body_version_with_matching_header_is_400_naming_supported(
    wire_of: WireOf, version: str
) -> None:
    wire = wire_of(make_server())
    meta = {**modern_meta(), META_VERSION: version}
    response = await post_modern(
        wire, "server/discover", meta=meta, headers={"mcp-protocol-version": version}
    )
    error = error_of(response, 400, UNSUPPORTED_PROTOCOL_VERSION, "r1")
    assert set(error["data"]) == {"supported", "requested"}
    assert error["data"]["requested"] == version
    assert MODERN in error["data"]["supported"]
    assert set(error["data"]["supported"]) <= ALL_VERSIONS


async def test_unsupported_header_without_meta_is_unsupported_version(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    response = await post_modern(
        wire, "server/discover", drop_meta=True, headers={"mcp-protocol-version": "v999"}
    )
    error = error_of(response, 400, UNSUPPORTED_PROTOCOL_VERSION, "r1")
    assert error["data"]["requested"] == "v999"


# -- the error table at the modern era -------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "unknown/method",
    ],
)
async def test_removed_or_unknown_method_is_method_not_found_404(
    wire_of: WireOf, method: str
) -> None:
    wire = wire_of(make_server())
    error_of(await post_modern(wire, method, request_id=41), 404, METHOD_NOT_FOUND, 41)


INVALID_PARAMS_CASES = [
    pytest.param("tools/call", {"name": "nope"}, id="unknown-tool"),
    pytest.param("tools/call", {"name": "echo", "arguments": ["a"]}, id="arguments-array"),
    pytest.param("prompts/get", {"name": "nope"}, id="unknown-prompt"),
    pytest.param("prompts/get", {"name": "greet", "arguments": {}}, id="prompt-arguments"),
    pytest.param("tools/list", {"cursor": "garbage"}, id="tools-invalid-cursor"),
    pytest.param("prompts/list", {"cursor": "garbage"}, id="prompts-invalid-cursor"),
]


@pytest.mark.parametrize(("method", "params"), INVALID_PARAMS_CASES)
async def test_invalid_params_are_answered_400(
    wire_of: WireOf, method: str, params: dict[str, Any]
) -> None:
    wire = wire_of(make_server())
    error_of(await post_modern(wire, method, params), 400, INVALID_PARAMS, "r1")


async def test_tool_input_that_fails_validation_is_an_error_result_at_200(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.modern("tools/call", {"name": "echo", "arguments": {}}))
    assert result["isError"] is True
    assert result["content"][0]["text"].startswith("text: ")


async def test_tool_error_is_an_error_result_with_its_message_at_200(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    result = result_of(await wire.modern("tools/call", {"name": "archive"}))
    assert result["isError"] is True
    assert result["content"] == [
        {"type": "text", "text": "the archive is offline; try again in a minute"}
    ]


async def test_tool_crash_is_a_generic_error_result_with_the_traceback_only_in_the_log(
    wire_of: WireOf, caplog: pytest.LogCaptureFixture
) -> None:
    wire = wire_of(make_server())
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        response = await wire.modern("tools/call", {"name": "crash"})
    result = result_of(response)
    assert result["isError"] is True
    assert result["resultType"] == "complete"
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert any(record.exc_info is not None for record in caplog.records)


async def test_notification_is_202_with_an_empty_body(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body = {
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": 1, "_meta": modern_meta()},
    }
    headers = {"mcp-protocol-version": MODERN, "mcp-method": "notifications/cancelled"}
    response = await wire.post(body, headers)
    assert response.status_code == 202
    assert response.content == b""


async def test_notification_with_unsupported_version_is_400(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}}
    response = await wire.post(body, {"mcp-protocol-version": "v999"})
    error_of(response, 400, UNSUPPORTED_PROTOCOL_VERSION, None)
