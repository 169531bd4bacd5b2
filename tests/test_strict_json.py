"""Every response body, event and STDIO line is strict JSON (RFC 8259), whatever a tool returns.

NaN and infinities are not JSON. In a declared output model they make the call an error
result naming the field (the output no longer matches its schema); anywhere else (log data,
a schema default) they are written as `null`.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.types import Arguments, NoArguments, Tool, ToolResult
from tests.conftest import LEGACY, legacy_request, modern_request, starlette_app

pytestmark = pytest.mark.anyio

ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
NAN, INF = float("nan"), float("inf")


def refuse_constant(token: str) -> Any:
    raise ValueError(f"not JSON: {token}")


def strict(data: bytes | str) -> Any:
    """Parse like a strict RFC 8259 parser: a bare NaN or Infinity token is an error."""
    return json.loads(data, parse_constant=refuse_constant)


class Stats(BaseModel):
    mean: float
    values: list[float]
    note: str = ""


class Which(BaseModel):
    which: str


class Tuned(BaseModel):
    threshold: float = NAN


def stats(arguments: Arguments[Which]) -> Stats | dict[str, Any] | ToolResult[Stats]:
    which = arguments.inputs.which
    if which == "mean":
        return Stats(mean=NAN, values=[1.0])
    if which == "values":
        return {"mean": 1.0, "values": [1.0, -INF]}
    if which == "tool-result":
        return ToolResult(output=Stats(mean=INF, values=[]))
    return Stats(mean=0.5, values=[0.25], note=which)


async def noisy(arguments: Arguments[NoArguments]) -> str:
    await arguments.log("warning", {"ratio": NAN, "limit": [INF, -INF], "text": "NaN"})
    return "done"


async def endless(arguments: Arguments[NoArguments]) -> str:
    await arguments.report_progress(1, INF)
    return "never"


def tuned(arguments: Arguments[Tuned]) -> str:
    return "tuned"


SERVER = MCPServer(
    name="strict",
    version="1",
    tools=(
        Tool(func=stats, output=Stats),
        Tool(func=noisy),
        Tool(func=endless),
        Tool(func=tuned),
    ),
)
NOTIFYING = {"progressToken": "p", "io.modelcontextprotocol/logLevel": "debug"}


async def post(url: str, era: str, method: str, params: dict[str, Any]) -> list[Any]:
    """Every JSON-RPC message of the answer (events, then the response), parsed strictly."""
    if era == "modern":
        body, headers = modern_request(method, params)
        body["params"]["_meta"].update(NOTIFYING)
    else:
        body = legacy_request(method, {**params, "_meta": NOTIFYING})
        headers = {"mcp-protocol-version": LEGACY}
    accept = {"accept": "application/json, text/event-stream"}
    with anyio.fail_after(10):
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(url, json=body, headers={**accept, **headers})
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        return [
            strict(line.removeprefix("data:"))
            for line in response.text.splitlines()
            if line.startswith("data:") and line.strip() != "data:"
        ]
    return [strict(response.content)]


@pytest.fixture
def url(live: Callable[..., Any]) -> str:
    return str(live(starlette_app(SERVER)).url)


@ERAS
@pytest.mark.parametrize(
    ("which", "where"),
    [
        ("mean", "field 'mean' is nan"),
        ("values", "field 'values[1]' is -inf"),
        ("tool-result", "field 'mean' is inf"),
    ],
)
async def test_a_non_finite_number_in_a_declared_output_is_an_error_naming_the_field(
    url: str, era: str, which: str, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"name": "stats", "arguments": {"which": which}}
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        [response] = await post(url, era, "tools/call", params)
    result = response["result"]
    assert result["isError"] is True
    assert "structuredContent" not in result
    assert result["content"] == [
        {
            "type": "text",
            "text": f"Tool 'stats' failed on the server: its output {where}, "
            "which JSON cannot carry.",
        }
    ]
    assert f"tool 'stats' returned {where}, which JSON cannot carry" in caplog.text


@ERAS
@pytest.mark.parametrize("which", ["", "NaN and -Infinity, as words"])
async def test_a_finite_output_is_answered_as_usual(url: str, era: str, which: str) -> None:
    params = {"name": "stats", "arguments": {"which": which}}
    [response] = await post(url, era, "tools/call", params)
    expected = {"mean": 0.5, "values": [0.25], "note": which}
    assert response["result"]["structuredContent"] == expected


@ERAS
async def test_non_finite_numbers_in_log_data_are_sent_as_null(url: str, era: str) -> None:
    *events, response = await post(url, era, "tools/call", {"name": "noisy", "arguments": {}})
    assert [e["params"]["data"] for e in events] == [
        {"ratio": None, "limit": [None, None], "text": "NaN"}
    ]
    assert response["result"]["content"] == [{"type": "text", "text": "done"}]


@ERAS
async def test_non_finite_progress_is_refused_in_the_tool(
    url: str, era: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="http_mcp"):
        messages = await post(url, era, "tools/call", {"name": "endless", "arguments": {}})
    assert [m.get("method") for m in messages] == [None]
    assert messages[0]["result"]["isError"] is True
    assert "progress and total must be finite numbers" in caplog.text


@ERAS
async def test_a_non_finite_schema_default_is_listed_as_null(url: str, era: str) -> None:
    [response] = await post(url, era, "tools/list", {})
    tools = {tool["name"]: tool for tool in response["result"]["tools"]}
    assert tools["tuned"]["inputSchema"]["properties"]["threshold"]["default"] is None


async def test_every_stdio_line_is_strict_json_whatever_the_tools_return() -> None:
    calls = [
        ("stats", {"which": "mean"}),
        ("stats", {"which": "values"}),
        ("noisy", {}),
        ("endless", {}),
    ]
    lines = [
        modern_request("tools/call", {"name": name, "arguments": arguments}, request_id)[0]
        for request_id, (name, arguments) in enumerate(calls, start=1)
    ]
    for line in lines:
        line["params"]["_meta"].update(NOTIFYING)
    lines.append(modern_request("tools/list", {}, len(lines) + 1)[0])
    stdin = io.BytesIO(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    stdout = io.BytesIO()
    with anyio.fail_after(10):
        await SERVER.serve_stdio(stdin=stdin, stdout=stdout)
    messages = [strict(line) for line in stdout.getvalue().splitlines()]
    responses = {m["id"]: m for m in messages if "id" in m}
    assert sorted(responses) == [1, 2, 3, 4, 5]
    assert all(responses[n]["result"]["isError"] for n in (1, 2, 4))
    logged = [m["params"]["data"] for m in messages if m.get("method") == "notifications/message"]
    assert logged == [{"ratio": None, "limit": [None, None], "text": "NaN"}]
