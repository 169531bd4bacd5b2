"""The handshake revisions' GET stream of change notifications (`notifications=True`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Final

import anyio
import httpx
import pytest
from httpx2 import AsyncClient as SDKHTTPClient
from httpx2 import Timeout as SDKTimeout
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ToolListChangedNotification

from http_mcp import MCPServer
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.stores import MemoryStore
from tests.conftest import LEGACY, URL, legacy_request, starlette_app, wire_for
from tests.listen_support import changes_server
from tests.resume_support import SSE_ACCEPT, EventReader, read_events

pytestmark = pytest.mark.anyio

TIMEOUT: Final = 10.0
GET_HEADERS: Final = {**SSE_ACCEPT, "mcp-protocol-version": LEGACY}
POST_HEADERS: Final = {"accept": "application/json, text/event-stream"}


def make_server(**options: Any) -> MCPServer:
    return changes_server(**{"notifications": True, "keepalive_s": 0.05, **options})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as opened:
        yield opened


async def touch(client: httpx.AsyncClient, url: str, what: str, uri: str = "") -> None:
    body = legacy_request("tools/call", {"name": "touch", "arguments": {"what": what, "uri": uri}})
    response = await client.post(url, json=body, headers=POST_HEADERS)
    assert response.json()["result"]["content"][0]["text"] == "announced"


async def next_message(stream: EventReader) -> Any:
    found = await stream.next()
    assert found is not None
    assert "id" not in found  # nothing on this stream is resumable
    return json.loads(found["data"])


async def test_the_get_stream_carries_every_list_change_untagged(
    live: Any, client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(make_server())).url
    with anyio.fail_after(TIMEOUT):
        async with read_events(client, "GET", url, headers=GET_HEADERS) as stream:
            assert stream.response.status_code == 200
            assert stream.response.headers["content-type"] == "text/event-stream"
            for what in ("tools", "prompts", "resources"):
                await touch(client, url, what)
            changes = [await next_message(stream) for _ in range(3)]
    assert changes == [
        {"jsonrpc": "2.0", "method": f"notifications/{what}/list_changed", "params": {}}
        for what in ("tools", "prompts", "resources")
    ]


async def test_resource_updates_reach_only_callers_who_may_read_the_resource(
    live: Any, client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(make_server())).url
    admin = {**GET_HEADERS, "x-scopes": "admin"}
    with anyio.fail_after(TIMEOUT):
        async with (
            read_events(client, "GET", url, headers=GET_HEADERS) as reader,
            read_events(client, "GET", url, headers=admin) as administrator,
        ):
            await touch(client, url, "resource", "note://secret")
            await touch(client, url, "resource", "note://elsewhere")
            await touch(client, url, "resource", "note://open")
            seen_by_reader = await next_message(reader)
            seen_by_admin = [await next_message(administrator) for _ in range(2)]
    # Events arrive in order: had the secret update reached the reader, it would come first.
    assert seen_by_reader["params"] == {"uri": "note://open"}
    assert [m["params"]["uri"] for m in seen_by_admin] == ["note://secret", "note://open"]


async def test_an_idle_get_stream_is_kept_alive_and_ends_gracefully_on_shutdown(
    live: Any, client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(make_server())).url
    with anyio.fail_after(TIMEOUT):
        async with client.stream("GET", url, headers=GET_HEADERS) as response:
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith(":")
            await touch(client, url, "stop")
            rest = [line async for line in lines]
    assert all(not line or line.startswith(":") for line in rest)


@pytest.mark.parametrize(
    ("options", "headers", "status"),
    [
        pytest.param({"notifications": False}, GET_HEADERS, 405, id="notifications-off"),
        pytest.param({}, {"accept": "application/json"}, 406, id="no-event-stream-accepted"),
        pytest.param({}, {**SSE_ACCEPT, "mcp-protocol-version": "2026-07-28"}, 405, id="modern"),
    ],
)
async def test_a_get_stream_that_cannot_be_served_is_refused_with_json(
    options: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    async with wire_for(starlette_app(make_server(**options))).client as http:
        answer = await http.get(URL, headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == -32600


async def test_a_store_that_cannot_subscribe_is_a_clear_503() -> None:
    class Unreachable(MemoryStore):
        def subscribe(self, *channels: str) -> Any:
            return Refusing()

    class Refusing:
        async def __aenter__(self) -> None:
            raise StoreUnavailableError("the store is away")

        async def __aexit__(self, *exc_info: object) -> None:
            return None

    async with wire_for(starlette_app(make_server(store=Unreachable()))).client as http:
        answer = await http.get(URL, headers=GET_HEADERS)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == -32603


async def test_the_sdk_client_hears_changes_on_the_get_stream_it_opens(
    live: Any, client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(make_server(back_channel=True))).url
    heard = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            heard.set()

    async with (
        SDKHTTPClient(timeout=SDKTimeout(TIMEOUT)) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode="legacy",
            read_timeout_seconds=TIMEOUT,
            message_handler=on_message,
        ) as sdk,
    ):
        assert sdk.protocol_version == LEGACY
        with anyio.fail_after(TIMEOUT):
            # The client opens its GET stream in the background, with no sign when it is open:
            # announce until it hears one.
            while not heard.is_set():
                await touch(client, url, "tools")
                with anyio.move_on_after(0.2):
                    await heard.wait()
