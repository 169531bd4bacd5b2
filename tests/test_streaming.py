"""Progress and log notifications on the request's own response, and cancellation."""

from __future__ import annotations

import io
import threading
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from mcp import Client
from mcp.types import LoggingMessageNotificationParams
from pydantic_core import from_json, to_json
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from http_mcp import MCPServer
from http_mcp.types import Arguments, NoArguments, Tool
from tests.conftest import EVENT_LOOPS, LEGACY, MODERN, Wire, legacy_request, modern_request

pytestmark = pytest.mark.anyio


@pytest.fixture(params=EVENT_LOOPS)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param


WireOf = Any


async def steps(arguments: Arguments[NoArguments]) -> str:
    """Three steps, each reported as progress and logged."""
    for step in (1, 2, 3):
        await arguments.report_progress(step, 3, f"step {step}")
        await arguments.log("info", {"step": step}, logger="steps")
    await arguments.log("debug", "too detailed for info")
    return "done"


def sync_steps(arguments: Arguments[NoArguments]) -> str:
    """The same from a worker thread."""
    for step in (1, 2, 3):
        arguments.report_progress_sync(step, 3)
        arguments.log_sync("warning", f"sync {step}")
    return "done"


async def backwards(arguments: Arguments[NoArguments]) -> str:
    """Progress that goes back is not sent."""
    for value in (1, 3, 2, 3, 4):
        await arguments.report_progress(value)
    return "done"


def quiet() -> str:
    """Says nothing before its result."""
    return "quiet"


def make_server() -> MCPServer:
    tools = (Tool(func=steps), Tool(func=sync_steps), Tool(func=backwards), Tool(func=quiet))
    return MCPServer(name="s", version="1", tools=tools)


def events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "text/event-stream"
    found = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert lines[0] == "event: message"
        assert lines[1].startswith("data: ")
        found.append(from_json(lines[1].removeprefix("data: ")))
    return found


def call(
    era: str, name: str, meta: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    params: dict[str, Any] = {"name": name, "arguments": {}}
    if era == MODERN:
        body, headers = modern_request("tools/call", params)
        body["params"]["_meta"].update(meta or {})
        return body, headers
    if meta:
        params["_meta"] = meta
    return legacy_request("tools/call", params), {"mcp-protocol-version": LEGACY}


ERAS = pytest.mark.parametrize("era", [MODERN, LEGACY])


@ERAS
async def test_notifications_arrive_as_events_before_the_response(
    wire_of: WireOf, era: str
) -> None:
    wire: Wire = wire_of(make_server())
    body, headers = call(
        era, "steps", {"progressToken": "p1", "io.modelcontextprotocol/logLevel": "info"}
    )
    response = await wire.post(body, headers)
    assert response.status_code == 200
    assert response.headers["x-accel-buffering"] == "no"
    assert "no-cache" in response.headers["cache-control"]
    sent = events(response)
    methods = [event.get("method", "response") for event in sent]
    assert methods == ["notifications/progress", "notifications/message"] * 3 + ["response"]
    progress = [e["params"] for e in sent if e.get("method") == "notifications/progress"]
    assert progress == [
        {"progressToken": "p1", "progress": step, "total": 3, "message": f"step {step}"}
        for step in (1, 2, 3)
    ]
    logs = [e["params"] for e in sent if e.get("method") == "notifications/message"]
    assert logs[0] == {"level": "info", "data": {"step": 1}, "logger": "steps"}
    assert sent[-1]["id"] == 1
    assert sent[-1]["result"]["content"] == [{"type": "text", "text": "done"}]


@ERAS
async def test_a_tool_that_says_nothing_is_answered_with_plain_json(
    wire_of: WireOf, era: str
) -> None:
    wire: Wire = wire_of(make_server())
    body, headers = call(era, "quiet", {"progressToken": 7})
    response = await wire.post(body, headers)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["content"] == [{"type": "text", "text": "quiet"}]


async def test_a_modern_request_without_a_log_level_gets_no_log_messages(
    wire_of: WireOf,
) -> None:
    wire: Wire = wire_of(make_server())
    body, headers = call(MODERN, "steps")
    response = await wire.post(body, headers)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["content"] == [{"type": "text", "text": "done"}]


async def test_a_legacy_request_gets_info_and_above_unless_its_meta_names_a_level(
    wire_of: WireOf,
) -> None:
    wire: Wire = wire_of(make_server())
    default = events(await wire.post(*call(LEGACY, "steps")))
    assert [e["params"]["level"] for e in default if "method" in e] == ["info"] * 3
    body, headers = call(LEGACY, "steps", {"io.modelcontextprotocol/logLevel": "debug"})
    detailed = events(await wire.post(body, headers))
    assert [e["params"]["level"] for e in detailed if "method" in e] == ["info"] * 3 + ["debug"]
    body, headers = call(LEGACY, "steps", {"io.modelcontextprotocol/logLevel": "error"})
    assert (await wire.post(body, headers)).headers["content-type"] == "application/json"


@ERAS
async def test_progress_that_does_not_increase_is_dropped(wire_of: WireOf, era: str) -> None:
    wire: Wire = wire_of(make_server())
    body, headers = call(era, "backwards", {"progressToken": "b"})
    sent = events(await wire.post(body, headers))
    assert [e["params"]["progress"] for e in sent if "method" in e] == [1, 3, 4]


@ERAS
async def test_a_client_that_accepts_only_json_gets_json_and_no_notifications(
    wire_of: WireOf, era: str
) -> None:
    wire: Wire = wire_of(make_server())
    body, headers = call(
        era, "steps", {"progressToken": "p", "io.modelcontextprotocol/logLevel": "info"}
    )
    response = await wire.post(body, {**headers, "accept": "application/json"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["content"] == [{"type": "text", "text": "done"}]


async def test_set_level_is_accepted_at_the_handshake_wire_and_checked(wire_of: WireOf) -> None:
    wire: Wire = wire_of(make_server())
    assert (await wire.legacy("logging/setLevel", {"level": "debug"})).json()["result"] == {}
    invalid = await wire.legacy("logging/setLevel", {"level": "loud"})
    assert invalid.json()["error"]["code"] == -32602
    removed = await wire.modern("logging/setLevel", {"level": "debug"})
    assert removed.status_code == 404


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
@pytest.mark.parametrize("tool", ["steps", "sync_steps"])
async def test_sdk_client_receives_progress_and_logs_in_order_before_the_result(
    live: Any, mode: str, version: str, tool: str
) -> None:
    url = live(Starlette(routes=[Route("/mcp", make_server().app)])).url
    received: list[tuple[str, Any]] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(("log", params.data))

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        received.append(("progress", progress))

    async with Client(url, mode=mode, logging_callback=on_log, log_level="info") as client:
        assert client.protocol_version == version
        result = await client.call_tool(tool, {}, progress_callback=on_progress)
    assert result.content[0].text == "done"  # type: ignore[union-attr]
    assert [kind for kind, _ in received] == ["progress", "log"] * 3
    assert [value for kind, value in received if kind == "progress"] == [1.0, 2.0, 3.0]


CANCELLED = threading.Event()
SYNC_SAW_CANCEL = threading.Event()
STARTED = threading.Event()
RELEASED = threading.Event()


async def forever(arguments: Arguments[NoArguments]) -> str:
    """Waits until cancelled."""
    STARTED.set()
    try:
        await anyio.sleep_forever()
    finally:
        CANCELLED.set()
    return "never"


def patient(arguments: Arguments[NoArguments]) -> str:
    """Works until released, then checks the cancellation flag, as a long sync tool should."""
    STARTED.set()
    RELEASED.wait(10)
    if arguments.cancelled:
        SYNC_SAW_CANCEL.set()
    return "stopped"


class GivenUp:
    """The app, and an event set once it has returned from a request (answered or given up)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.returned = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.returned.set()


@pytest.mark.parametrize(("name", "marker"), [("forever", CANCELLED), ("patient", SYNC_SAW_CANCEL)])
async def test_a_client_that_disconnects_cancels_the_running_tool(
    live: Any, name: str, marker: threading.Event
) -> None:
    STARTED.clear()
    RELEASED.clear()
    marker.clear()
    server = MCPServer(name="s", version="1", tools=(Tool(func=forever), Tool(func=patient)))
    endpoint = GivenUp(server.app)
    url = live(Starlette(routes=[Route("/mcp", endpoint)])).url
    body = legacy_request("tools/call", {"name": name, "arguments": {}})
    async with httpx.AsyncClient() as client:
        with anyio.move_on_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(lambda: client.post(url, json=body))
                await anyio.to_thread.run_sync(STARTED.wait, 10)
                group.cancel_scope.cancel()
    assert STARTED.is_set()
    # The server gives the request up once it has seen the client go; only then is a sync
    # tool, which cannot be interrupted, let go on to read the flag.
    assert await anyio.to_thread.run_sync(endpoint.returned.wait, 10)
    RELEASED.set()
    assert await anyio.to_thread.run_sync(marker.wait, 10)


@pytest.mark.parametrize("era", [MODERN, LEGACY])
async def test_stdio_writes_notifications_as_lines_before_the_response(era: str) -> None:
    body, _ = call(era, "steps", {"progressToken": 5, "io.modelcontextprotocol/logLevel": "info"})
    stdin = io.BytesIO(to_json(body) + b"\n")
    stdout = io.BytesIO()
    with anyio.fail_after(10):
        await make_server().serve_stdio(stdin=stdin, stdout=stdout)
    frames = [from_json(line) for line in stdout.getvalue().splitlines()]
    methods = [frame.get("method", "response") for frame in frames]
    assert methods == ["notifications/progress", "notifications/message"] * 3 + ["response"]
    assert frames[0]["params"]["progressToken"] == 5
    assert frames[-1]["result"]["content"] == [{"type": "text", "text": "done"}]
