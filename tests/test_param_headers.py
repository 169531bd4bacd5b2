"""Arguments marked `x-mcp-header` are mirrored as `Mcp-Param-*` headers at 2026-07-28."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import BaseModel, Field

from http_mcp import MCPServer
from http_mcp.types import Arguments, Tool
from tests.conftest import LEGACY, Wire

pytestmark = pytest.mark.anyio

WireOf = Any


class Routed(BaseModel):
    region: str = Field(json_schema_extra={"x-mcp-header": "Region"})
    shard: int | None = Field(
        default=None, json_schema_extra={"x-mcp-header": "Shard", "type": "integer"}
    )
    dry_run: bool = Field(default=False, json_schema_extra={"x-mcp-header": "Dry-Run"})
    tags: list[str] = Field(default_factory=list, json_schema_extra={"x-mcp-header": "Tags"})


def route(arguments: Arguments[Routed]) -> str:
    """Routes by region."""
    return f"routed to {arguments.inputs.region}"


def server() -> MCPServer:
    return MCPServer(name="s", version="1", tools=(Tool(func=route, inputs=Routed),))


def b64(text: str) -> str:
    return f"=?base64?{base64.b64encode(text.encode()).decode()}?="


async def call(wire: Wire, arguments: dict[str, Any], **headers: str) -> Any:
    return await wire.modern("tools/call", {"name": "route", "arguments": arguments}, **headers)


ACCEPTED = [
    pytest.param({"region": "eu-west"}, {"mcp_param_region": "eu-west"}, id="plain"),
    pytest.param({"region": "Zürich"}, {"mcp_param_region": b64("Zürich")}, id="base64"),
    pytest.param({"region": " padded "}, {"mcp_param_region": b64(" padded ")}, id="edge-spaces"),
    pytest.param(
        {"region": "a", "shard": 42}, {"mcp_param_region": "a", "mcp_param_shard": "42"}, id="int"
    ),
    pytest.param(
        {"region": "a", "shard": 42},
        {"mcp_param_region": "a", "mcp_param_shard": "42.0"},
        id="int-compared-as-a-number",
    ),
    pytest.param(
        {"region": "a", "dry_run": True},
        {"mcp_param_region": "a", "mcp_param_dry_run": "true"},
        id="bool",
    ),
    pytest.param({"region": "a", "shard": None}, {"mcp_param_region": "a"}, id="null-no-header"),
    pytest.param({"region": "a", "tags": ["x"]}, {"mcp_param_region": "a"}, id="list-not-mirrored"),
]


@pytest.mark.parametrize(("arguments", "headers"), ACCEPTED)
async def test_matching_param_headers_are_accepted(
    wire_of: WireOf, arguments: dict[str, Any], headers: dict[str, str]
) -> None:
    response = await call(wire_of(server()), arguments, **headers)
    assert response.status_code == 200, response.text
    assert response.json()["result"]["content"][0]["text"] == f"routed to {arguments['region']}"


REFUSED = [
    pytest.param({"region": "eu"}, {}, id="missing"),
    pytest.param({"region": "eu"}, {"mcp_param_region": "us"}, id="different"),
    pytest.param({"region": "Hello"}, {"mcp_param_region": "=?base64?SGVsbG8?="}, id="bad-padding"),
    pytest.param(
        {"region": "Hello"}, {"mcp_param_region": "=?base64?SGVs!!!bG8=?="}, id="bad-alphabet"
    ),
    pytest.param(
        {"region": "a"}, {"mcp_param_region": "a", "mcp_param_shard": "1"}, id="header-without-arg"
    ),
    pytest.param(
        {"region": "a", "shard": 42},
        {"mcp_param_region": "a", "mcp_param_shard": "42.5"},
        id="int-fraction",
    ),
    pytest.param(
        {"region": "a", "tags": ["x"]},
        {"mcp_param_region": "a", "mcp_param_tags": "x"},
        id="header-for-unrenderable",
    ),
]


@pytest.mark.parametrize(("arguments", "headers"), REFUSED)
async def test_a_param_header_that_disagrees_with_the_body_is_a_header_mismatch(
    wire_of: WireOf, arguments: dict[str, Any], headers: dict[str, str]
) -> None:
    response = await call(wire_of(server()), arguments, **headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020
    assert response.json()["id"] == 1


async def test_a_missing_param_header_is_said_to_be_missing(wire_of: WireOf) -> None:
    response = await call(wire_of(server()), {"region": "eu", "shard": 3}, mcp_param_region="eu")
    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == -32020
    assert error["message"].startswith("mcp-param-shard header is missing")
    assert "does not match" not in error["message"]


async def test_param_headers_are_not_checked_at_the_handshake_wire(wire_of: WireOf) -> None:
    wire: Wire = wire_of(server())
    response = await wire.legacy(
        "tools/call", {"name": "route", "arguments": {"region": "eu"}}, version=LEGACY
    )
    assert response.json()["result"]["content"][0]["text"] == "routed to eu"


async def test_the_annotation_reaches_the_client_in_the_input_schema(wire_of: WireOf) -> None:
    listed = (await wire_of(server()).modern("tools/list")).json()["result"]["tools"][0]
    assert listed["inputSchema"]["properties"]["region"]["x-mcp-header"] == "Region"
