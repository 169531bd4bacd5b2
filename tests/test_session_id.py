"""The stateless `Mcp-Session-Id` of `MCPServer(back_channel=True)` at the handshake revisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from http_mcp import MCPServer
from http_mcp.jsonrpc import INVALID_REQUEST
from http_mcp.types import Arguments, NoArguments, Tool
from tests.conftest import LEGACY, Wire, error_of, modern_request

pytestmark = pytest.mark.anyio

WireOf = Callable[..., Wire]
KEY = "session-tests-shared-request-state-key"


def declared(arguments: Arguments[NoArguments]) -> str:
    """Names the capabilities the client declared, as the tool sees them."""
    return ",".join(sorted(arguments.client_capabilities)) or "none"


def make_server(back_channel: bool = True, key: str = KEY) -> MCPServer:
    return MCPServer(
        name="sessions",
        version="1",
        tools=(Tool(func=declared),),
        back_channel=back_channel,
        request_state_key=key,
    )


def initialize_params(capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "protocolVersion": LEGACY,
        "capabilities": {} if capabilities is None else capabilities,
        "clientInfo": {"name": "tests", "version": "1"},
    }


async def session_of(wire: Wire, capabilities: dict[str, Any] | None = None) -> str:
    response = await wire.legacy("initialize", initialize_params(capabilities))
    assert response.status_code == 200
    assert response.json()["result"]["protocolVersion"] == LEGACY
    session: str = response.headers["mcp-session-id"]
    return session


def text_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    text: str = body["result"]["content"][0]["text"]
    return text


async def test_initialize_issues_a_visible_ascii_session_id_when_the_back_channel_is_on(
    wire_of: WireOf,
) -> None:
    session = await session_of(wire_of(make_server()), {"sampling": {}})
    assert session
    assert all(0x21 <= ord(c) <= 0x7E for c in session)


async def test_without_the_back_channel_initialize_issues_no_session_id(
    wire_of: WireOf,
) -> None:
    wire = wire_of(make_server(back_channel=False))
    response = await wire.legacy("initialize", initialize_params({"sampling": {}}))
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers


async def test_a_failed_initialize_issues_no_session_id(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    response = await wire.legacy("initialize", {"protocolVersion": LEGACY})
    assert "error" in response.json()
    assert "mcp-session-id" not in response.headers


async def test_the_session_id_carries_the_declared_capabilities_to_any_replica(
    wire_of: WireOf,
) -> None:
    session = await session_of(
        wire_of(make_server()), {"sampling": {}, "elicitation": {"form": {}}, "experimental": {}}
    )
    other_replica = wire_of(make_server())
    answer = await other_replica.legacy(
        "tools/call", {"name": "declared", "arguments": {}}, mcp_session_id=session
    )
    assert text_of(answer) == "elicitation,sampling"


async def test_a_request_without_a_session_id_is_served_as_before(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    answer = await wire.legacy("tools/call", {"name": "declared", "arguments": {}})
    assert text_of(answer) == "none"


@pytest.mark.parametrize(
    "session",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("a.b", id="two-parts"),
        pytest.param("", id="empty"),
    ],
)
async def test_a_session_id_that_does_not_verify_is_answered_404(
    wire_of: WireOf, session: str
) -> None:
    wire = wire_of(make_server())
    response = await wire.legacy("tools/list", {}, mcp_session_id=session)
    error = error_of(response, 404, INVALID_REQUEST)
    assert "Session not found" in error["message"]


async def test_a_session_id_from_a_server_with_another_key_is_answered_404(
    wire_of: WireOf,
) -> None:
    session = await session_of(wire_of(make_server(key="another-key-of-sixteen-bytes")))
    for message in (
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "srv-1", "result": {}},
    ):
        response = await wire_of(make_server()).post(
            message, {"mcp-protocol-version": LEGACY, "mcp-session-id": session}
        )
        error_of(response, 404, INVALID_REQUEST, request_id=None)


async def test_a_session_id_means_nothing_at_2026_07_28(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    body, headers = modern_request("tools/call", {"name": "declared", "arguments": {}})
    response = await wire.post(body, {**headers, "mcp-session-id": "garbage"})
    assert text_of(response) == "none"


async def test_without_the_back_channel_a_session_id_is_ignored(wire_of: WireOf) -> None:
    wire = wire_of(make_server(back_channel=False))
    response = await wire.legacy("tools/list", {}, mcp_session_id="garbage")
    assert response.status_code == 200


async def test_delete_with_a_session_id_is_answered_405(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    session = await session_of(wire)
    response = await wire.client.delete("http://127.0.0.1/mcp", headers={"mcp-session-id": session})
    assert response.status_code == 405


async def test_huge_capability_declarations_keep_the_session_id_small(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    session = await session_of(wire, {"sampling": {"x": "y" * 100_000}, "roots": True})
    assert len(session) < 500
    answer = await wire.legacy(
        "tools/call", {"name": "declared", "arguments": {}}, mcp_session_id=session
    )
    assert text_of(answer) == "roots,sampling"


def test_the_back_channel_needs_a_shared_store() -> None:
    assert make_server().needs_shared_store
    assert not make_server(back_channel=False).needs_shared_store


def test_the_back_channel_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="back_channel_timeout_s"):
        MCPServer(name="s", version="1", back_channel_timeout_s=0)


async def test_the_sdk_client_sends_its_session_id_back_and_closes_cleanly(live: Any) -> None:
    seen: list[tuple[str, str | None]] = []

    async def record(request: httpx2.Request) -> None:
        seen.append((request.method, request.headers.get("mcp-session-id")))

    served = live(make_server().app)
    with anyio.fail_after(20):
        async with (
            httpx2.AsyncClient(event_hooks={"request": [record]}) as http,
            Client(streamable_http_client(served.url, http_client=http), mode="legacy") as client,
        ):
            result = await client.call_tool("declared", {})
    assert result.content[0].text == "none"  # type: ignore[union-attr]
    posts = [session for method, session in seen if method == "POST"]
    assert posts[0] is None  # initialize
    assert posts[-1] is not None
    assert posts.count(posts[-1]) == len(posts) - 1
    assert ("DELETE", posts[-1]) in seen  # answered 405, which the client accepts


async def test_every_initialize_gets_its_own_session_id(wire_of: WireOf) -> None:
    wire = wire_of(make_server())
    first = await session_of(wire, {"sampling": {}})
    second = await session_of(wire, {"sampling": {}})
    assert first != second
