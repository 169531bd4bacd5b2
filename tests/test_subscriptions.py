"""Change notifications: `subscriptions/listen` over a real socket, and what is advertised."""

from __future__ import annotations

import functools
import io
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import anyio
import httpx
import pytest

from http_mcp import MCPServer
from http_mcp._changes import CHANNEL
from http_mcp.stores import MemoryStore
from http_mcp.testing import AsyncTestClient
from http_mcp.types import Prompt, Resource, Tool
from tests.conftest import MODERN, legacy_request, modern_request, starlette_app
from tests.listen_support import KEEP_ALIVE, SUBSCRIPTION_ID, Listener
from tests.listen_support import changes_server as make_server

pytestmark = pytest.mark.anyio

TIMEOUT: Final = 10.0
ACK: Final = "notifications/subscriptions/acknowledged"
TOOLS_CHANGED: Final = "notifications/tools/list_changed"
PROMPTS_CHANGED: Final = "notifications/prompts/list_changed"
UPDATED: Final = "notifications/resources/updated"


@pytest.fixture
def url(live: Callable[[Any], Any]) -> str:
    address: str = live(starlette_app(make_server(notifications=True, keepalive_s=0.05))).url
    return address


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as opened:
        yield opened


def headers_for(method: str, name: str | None = None) -> dict[str, str]:
    headers = {
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": MODERN,
        "mcp-method": method,
    }
    if name is not None:
        headers["mcp-name"] = name
    return headers


async def touch(client: httpx.AsyncClient, url: str, what: str, uri: str = "") -> None:
    """Announce a change with a tool call on its own connection."""
    body, _ = modern_request(
        "tools/call", {"name": "touch", "arguments": {"what": what, "uri": uri}}
    )
    response = await client.post(url, json=body, headers=headers_for("tools/call", "touch"))
    assert response.status_code == 200, response.text
    assert response.json()["result"]["content"][0]["text"] == "announced"


async def test_listen_acknowledges_first_with_the_honoured_filter_tagged_with_the_request_id(
    client: httpx.AsyncClient, url: str
) -> None:
    wanted = {
        "toolsListChanged": True,
        "promptsListChanged": False,
        "resourceSubscriptions": ["note://open", "note://secret", "note://missing"],
        "taskIds": ["not-offered"],
    }
    with anyio.fail_after(TIMEOUT):
        async with Listener(client, url, wanted, request_id="listen-1") as stream:
            assert stream.response is not None
            assert stream.response.headers["content-type"].startswith("text/event-stream")
            assert stream.response.headers["x-accel-buffering"] == "no"
            ack = await stream.next_message()
    assert ack["method"] == ACK
    assert ack["params"]["_meta"] == {SUBSCRIPTION_ID: "listen-1"}
    # Only what the caller may read is honoured; what the server does not offer is dropped.
    assert ack["params"]["notifications"] == {
        "toolsListChanged": True,
        "resourceSubscriptions": ["note://open"],
    }


async def test_a_change_announced_by_another_request_reaches_the_listener_tagged(
    client: httpx.AsyncClient, url: str
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Listener(client, url, {"toolsListChanged": True}, request_id=41) as stream:
            assert (await stream.next_message())["method"] == ACK
            await touch(client, url, "tools")
            change = await stream.next_message()
    assert change == {
        "jsonrpc": "2.0",
        "method": TOOLS_CHANGED,
        "params": {"_meta": {SUBSCRIPTION_ID: 41}},
    }


async def test_a_listener_gets_only_the_kinds_it_asked_for(
    client: httpx.AsyncClient, url: str
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Listener(client, url, {"promptsListChanged": True}) as stream:
            assert (await stream.next_message())["method"] == ACK
            await touch(client, url, "tools")
            await touch(client, url, "resources")
            await touch(client, url, "prompts")
            change = await stream.next_message()
    # Changes arrive in order: had the tools or resources change been sent, it would be first.
    assert change["method"] == PROMPTS_CHANGED


async def test_resource_updates_reach_only_listeners_of_that_uri_who_may_read_it(
    client: httpx.AsyncClient, url: str
) -> None:
    wanted = {"resourceSubscriptions": ["note://open", "note://secret"]}
    with anyio.fail_after(TIMEOUT):
        async with (
            Listener(client, url, wanted) as reader,
            Listener(client, url, wanted, headers={"x-scopes": "admin"}) as admin,
        ):
            assert (await reader.next_message())["method"] == ACK
            assert (await admin.next_message())["method"] == ACK
            await touch(client, url, "resource", "note://secret")
            await touch(client, url, "resource", "note://elsewhere")
            await touch(client, url, "resource", "note://open")
            seen_by_reader = await reader.next_message()
            seen_by_admin = [await admin.next_message(), await admin.next_message()]
    assert seen_by_reader["method"] == UPDATED
    assert seen_by_reader["params"]["uri"] == "note://open"
    assert [m["params"]["uri"] for m in seen_by_admin] == ["note://secret", "note://open"]


async def test_an_idle_listen_stream_gets_keep_alive_comments(
    client: httpx.AsyncClient, url: str
) -> None:
    with anyio.fail_after(TIMEOUT):
        async with Listener(client, url, {"toolsListChanged": True}) as stream:
            assert (await stream.next_message())["method"] == ACK
            assert await stream.next_event() == KEEP_ALIVE


async def test_listen_without_accepting_an_event_stream_is_refused(
    client: httpx.AsyncClient, url: str
) -> None:
    body, _ = modern_request("subscriptions/listen", {"notifications": {}})
    headers = {**headers_for("subscriptions/listen"), "accept": "application/json"}
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32600


@pytest.mark.parametrize(
    "notifications",
    [
        pytest.param([], id="not-an-object"),
        pytest.param({"toolsListChanged": "yes"}, id="switch-not-boolean"),
        pytest.param({"resourceSubscriptions": "note://open"}, id="uris-not-a-list"),
    ],
)
async def test_a_malformed_filter_is_invalid_params(
    client: httpx.AsyncClient, url: str, notifications: Any
) -> None:
    body, _ = modern_request("subscriptions/listen", {"notifications": notifications})
    response = await client.post(url, json=body, headers=headers_for("subscriptions/listen"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32602


async def test_capabilities_are_advertised_at_2026_exactly_when_notifications_are_on(
    live: Callable[[Any], Any], client: httpx.AsyncClient
) -> None:
    advertised = []
    for notifications in (True, False):
        url = live(starlette_app(make_server(notifications=notifications))).url
        body, _ = modern_request("server/discover")
        found = await client.post(url, json=body, headers=headers_for("server/discover"))
        capabilities = found.json()["result"]["capabilities"]
        advertised.append((capabilities["tools"], capabilities["resources"]))
        if not notifications:
            body, _ = modern_request("subscriptions/listen", {"notifications": {}})
            listen = await client.post(url, json=body, headers=headers_for("subscriptions/listen"))
            assert listen.status_code == 404
            assert listen.json()["error"]["code"] == -32601
    assert advertised == [
        ({"listChanged": True}, {"subscribe": True, "listChanged": True}),
        ({"listChanged": False}, {"subscribe": False, "listChanged": False}),
    ]


async def test_the_handshake_era_advertises_changes_exactly_when_on_and_lacks_listen(
    live: Callable[[Any], Any], client: httpx.AsyncClient
) -> None:
    params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t"}}
    accept = {"accept": "application/json, text/event-stream"}
    advertised = []
    for notifications in (True, False):
        url = live(starlette_app(make_server(notifications=notifications))).url
        init = await client.post(url, json=legacy_request("initialize", params), headers=accept)
        capabilities = init.json()["result"]["capabilities"]
        advertised.append((capabilities["tools"], capabilities["resources"]))
        listen = await client.post(
            url, json=legacy_request("subscriptions/listen", {"notifications": {}}), headers=accept
        )
        assert listen.json()["error"]["code"] == -32601
        subscribe = await client.post(
            url, json=legacy_request("resources/subscribe", {"uri": "note://open"}), headers=accept
        )
        assert subscribe.json()["result"] == {}
    assert advertised == [
        ({"listChanged": True}, {"subscribe": True, "listChanged": True}),
        ({"listChanged": False}, {"subscribe": False, "listChanged": False}),
    ]


async def test_announcing_a_change_with_notifications_off_does_nothing() -> None:
    server = make_server()
    await server.notify_tools_changed()
    await server.notify_resource_updated("note://open")
    assert not server.needs_shared_store
    assert make_server(notifications=True).needs_shared_store


async def test_a_resource_update_needs_a_uri() -> None:
    server = make_server(notifications=True)
    uri: Any = 42
    with pytest.raises(TypeError, match="URI"):
        await server.notify_resource_updated(uri)


def test_keepalive_must_be_positive() -> None:
    with pytest.raises(ValueError, match="keepalive_s"):
        make_server(keepalive_s=0)


# -- over STDIO --------------------------------------------------------------------------------


class Frames(io.BytesIO):
    """A STDIO server's stdout: each frame parsed as it is written, and awaitable."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self._arrived: anyio.Event | None = None

    def write(self, data: Any) -> int:
        self.messages.extend(json.loads(line) for line in bytes(data).splitlines())
        if self._arrived is not None:
            self._arrived.set()
        return len(data)

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> None:
        await self.wait_for_count(predicate, 1)

    async def wait_for_count(self, predicate: Callable[[dict[str, Any]], bool], count: int) -> None:
        while sum(predicate(message) for message in self.messages) < count:
            self._arrived = anyio.Event()
            await self._arrived.wait()


def line(message: Any) -> bytes:
    return json.dumps(message).encode() + b"\n"


def listen_line(request_id: int, notifications: dict[str, Any]) -> bytes:
    return line(
        modern_request("subscriptions/listen", {"notifications": notifications}, request_id)[0]
    )


def touch_line(request_id: int, what: str) -> bytes:
    params = {"name": "touch", "arguments": {"what": what}}
    return line(modern_request("tools/call", params, request_id)[0])


def tagged_with(sid: int, method: str) -> Callable[[dict[str, Any]], bool]:
    def matches(message: dict[str, Any]) -> bool:
        meta = message.get("params", {}).get("_meta", {})
        return message.get("method") == method and meta.get(SUBSCRIPTION_ID) == sid

    return matches


def answer_to(request_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message.get("id") == request_id and "method" not in message


async def test_over_stdio_listen_frames_interleave_cancel_ends_one_and_end_of_input_the_rest() -> (
    None
):
    server = make_server(notifications=True)
    read_end, write_end = os.pipe()
    frames = Frames()
    with os.fdopen(read_end, "rb", buffering=0) as stdin, anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(server.serve_stdio, stdin=stdin, stdout=frames))
            os.write(write_end, listen_line(5, {"toolsListChanged": True}))
            os.write(write_end, listen_line(6, {"toolsListChanged": True}))
            await frames.wait_for(tagged_with(5, ACK))
            await frames.wait_for(tagged_with(6, ACK))
            os.write(write_end, touch_line(7, "tools"))
            await frames.wait_for(tagged_with(5, TOOLS_CHANGED))
            await frames.wait_for(tagged_with(6, TOOLS_CHANGED))
            await frames.wait_for(answer_to(7))
            cancel = {"requestId": 6, "reason": "enough"}
            os.write(
                write_end,
                line({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": cancel}),
            )
            os.write(write_end, touch_line(8, "tools"))
            await frames.wait_for(answer_to(8))
            await frames.wait_for_count(tagged_with(5, TOOLS_CHANGED), 2)
            os.close(write_end)
    final = [m for m in frames.messages if answer_to(5)(m) or answer_to(6)(m)]
    assert final == [
        {
            "jsonrpc": "2.0",
            "id": 5,
            "result": {
                "resultType": "complete",
                "_meta": {**final[0]["result"]["_meta"], SUBSCRIPTION_ID: 5},
            },
        }
    ]
    # The cancelled listen heard the first change only, and got no result.
    assert sum(tagged_with(6, TOOLS_CHANGED)(m) for m in frames.messages) == 1


async def test_over_stdio_what_is_not_a_change_is_ignored_and_closing_the_store_ends_listen() -> (
    None
):
    store = MemoryStore()
    server = make_server(notifications=True, store=store)
    read_end, write_end = os.pipe()
    frames = Frames()
    with os.fdopen(read_end, "rb", buffering=0) as stdin, anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as group:
            group.start_soon(functools.partial(server.serve_stdio, stdin=stdin, stdout=frames))
            os.write(write_end, listen_line(3, {"toolsListChanged": True}))
            await frames.wait_for(tagged_with(3, ACK))
            junk_audiences = (
                b'{"kind": "tools", "audience": "x"}',
                b'{"kind": "tools", "audience": [[1]]}',
            )
            for junk in (
                b"not json",
                b"[1]",
                b'{"kind": "resource"}',
                b'{"kind": "other"}',
                *junk_audiences,
            ):
                await store.publish(CHANNEL, junk)
            os.write(write_end, touch_line(4, "tools"))
            await frames.wait_for(answer_to(4))
            await frames.wait_for(tagged_with(3, TOOLS_CHANGED))
            await store.aclose()
            await frames.wait_for(answer_to(3))
            os.close(write_end)
    notifications = [m["method"] for m in frames.messages if "method" in m]
    assert notifications == [ACK, TOOLS_CHANGED]
    final = next(m for m in frames.messages if answer_to(3)(m))
    assert final["result"]["resultType"] == "complete"


# -- adding and removing at run time -----------------------------------------------------------


def growing_server(**options: Any) -> MCPServer:
    """A server whose `grow` tool adds a tool, a prompt and a resource; `shrink` removes them."""
    server: MCPServer

    def extra() -> str:
        """A tool added at run time."""
        return "extra"

    def greeting() -> str:
        """A prompt added at run time."""
        return "hello"

    def added_note() -> str:
        return "added"

    async def grow() -> str:
        """Adds a tool, a prompt and a resource."""
        await server.add(
            Tool(func=extra),
            Prompt(func=greeting),
            Resource(uri="note://added", func=added_note, name="added"),
        )
        return "grown"

    async def shrink() -> str:
        """Removes what grow added."""
        await server.remove(tools=["extra"], prompts=["greeting"], resources=["note://added"])
        return "shrunk"

    server = MCPServer(
        name="growing", version="1", tools=(Tool(func=grow), Tool(func=shrink)), **options
    )
    return server


async def call_tool(client: httpx.AsyncClient, url: str, name: str) -> Any:
    body, _ = modern_request("tools/call", {"name": name, "arguments": {}})
    response = await client.post(url, json=body, headers=headers_for("tools/call", name))
    return response.json()


async def listed(client: httpx.AsyncClient, url: str, method: str, key: str) -> list[str]:
    body, _ = modern_request(method)
    response = await client.post(url, json=body, headers=headers_for(method))
    return [item.get("uri") or item["name"] for item in response.json()["result"][key]]


async def test_adding_and_removing_at_run_time_changes_the_lists_and_tells_listeners(
    live: Callable[[Any], Any], client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(growing_server(notifications=True))).url
    every_list = {
        "toolsListChanged": True,
        "promptsListChanged": True,
        "resourcesListChanged": True,
    }
    with anyio.fail_after(TIMEOUT):
        async with Listener(client, url, every_list) as stream:
            assert (await stream.next_message())["method"] == ACK
            assert (await call_tool(client, url, "grow"))["result"]["content"][0]["text"] == "grown"
            grown = [(await stream.next_message())["method"] for _ in range(3)]
            tools = await listed(client, url, "tools/list", "tools")
            prompts = await listed(client, url, "prompts/list", "prompts")
            resources = await listed(client, url, "resources/list", "resources")
            extra = await call_tool(client, url, "extra")
            await call_tool(client, url, "shrink")
            shrunk = [(await stream.next_message())["method"] for _ in range(3)]
            tools_after = await listed(client, url, "tools/list", "tools")
            gone = await call_tool(client, url, "extra")
    assert (
        grown == shrunk == [TOOLS_CHANGED, PROMPTS_CHANGED, "notifications/resources/list_changed"]
    )
    assert tools == ["grow", "shrink", "extra"]
    assert prompts == ["greeting"]
    assert resources == ["note://added"]
    assert extra["result"]["content"][0]["text"] == "extra"
    assert tools_after == ["grow", "shrink"]
    assert gone["error"]["code"] == -32602


async def test_adding_a_taken_name_or_removing_what_is_not_offered_is_refused() -> None:
    server = growing_server()

    def grow() -> str:
        """Another tool named grow."""
        return "again"

    with pytest.raises(ValueError, match="two tools are named 'grow'"):
        await server.add(Tool(func=grow))
    with pytest.raises(ValueError, match="no prompt is named 'missing'"):
        await server.remove(prompts=["missing"])
    not_a_declaration: Any = "grow"
    with pytest.raises(TypeError, match="Tool, Prompt, Resource"):
        await server.add(not_a_declaration)
    async with AsyncTestClient(server) as client:
        assert [tool.name for tool in await client.list_tools()] == ["grow", "shrink"]


def hiding_server() -> MCPServer:
    """`hide` adds and `unhide` removes a tool only `admin` may see; `show` adds a prompt."""
    server: MCPServer

    def secret() -> str:
        """Only for admins."""
        return "secret"

    def greeting() -> str:
        """For everyone."""
        return "hello"

    async def hide() -> str:
        """Adds the admins' tool."""
        await server.add(Tool(func=secret, scopes=("admin",)))
        return "hidden"

    async def unhide() -> str:
        """Removes the admins' tool."""
        await server.remove(tools=["secret"])
        return "gone"

    async def show() -> str:
        """Adds a prompt everyone sees."""
        await server.add(Prompt(func=greeting))
        return "shown"

    server = MCPServer(
        name="hiding",
        version="1",
        tools=(Tool(func=hide), Tool(func=unhide), Tool(func=show)),
        notifications=True,
    )
    return server


async def test_a_listener_is_not_told_of_list_changes_its_scopes_hide(
    live: Callable[[Any], Any], client: httpx.AsyncClient
) -> None:
    url = live(starlette_app(hiding_server())).url
    lists = {"toolsListChanged": True, "promptsListChanged": True}
    with anyio.fail_after(TIMEOUT):
        async with (
            Listener(client, url, lists) as anyone,
            Listener(client, url, lists, headers={"x-scopes": "admin"}) as admin,
        ):
            assert (await anyone.next_message())["method"] == ACK
            assert (await admin.next_message())["method"] == ACK
            for tool in ("hide", "unhide", "show"):
                assert "error" not in await call_tool(client, url, tool)
            # Changes arrive in order: the first one `anyone` hears is the prompt's.
            heard_by_anyone = (await anyone.next_message())["method"]
            heard_by_admin = [(await admin.next_message())["method"] for _ in range(3)]
    assert heard_by_anyone == PROMPTS_CHANGED
    assert heard_by_admin == [TOOLS_CHANGED, TOOLS_CHANGED, PROMPTS_CHANGED]
