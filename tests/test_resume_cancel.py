"""`notifications/cancelled` stops a call that a disconnect no longer cancels (`back_channel`)."""

from __future__ import annotations

import json
from typing import Any, Final

import anyio
import httpx
import pytest

from http_mcp.stores import MemoryStore
from http_mcp.transports._cancels import CHANNEL
from tests.conftest import LEGACY, starlette_app
from tests.resume_support import read_events, resume_headers, wait_for
from tests.test_resume import LEGACY_HEADERS, Probe, call, data_of, make_server

pytestmark = pytest.mark.anyio

TIMEOUT: Final = 10.0
# A signed-in caller (the test backend's user): its cancels can be told from another caller's.
SIGNED_IN: Final = {**LEGACY_HEADERS, "x-scopes": ""}


def cancel(request_id: Any) -> dict[str, Any]:
    params = {"requestId": request_id, "reason": "the user pressed stop"}
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}


async def test_a_cancel_stops_a_streaming_call_and_ends_its_stream(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        async with read_events(
            http, "POST", url, json=call("gated", 7), headers=SIGNED_IN
        ) as stream:
            await stream.next()
            started = await stream.next()
            assert started is not None
            posted = await http.post(url, json=cancel(7), headers=SIGNED_IN)
            assert posted.status_code == 202
            rest = await stream.rest()
        await wait_for(probe.cancelled)
        async with read_events(
            http, "GET", url, headers=resume_headers(started["id"], {"x-scopes": ""})
        ) as again:
            resumed = await again.rest()
    for events in (rest, resumed):
        error = data_of(events[-1])
        assert error["id"] == 7
        assert error["error"]["code"] == -32603
        assert "cancelled" in error["error"]["message"]
    assert not probe.finished.is_set()


async def test_a_cancel_stops_a_call_that_never_streamed(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with httpx.AsyncClient(timeout=TIMEOUT) as http, anyio.create_task_group() as group:
        answers: list[httpx.Response] = []

        async def post_call() -> None:
            answers.append(await http.post(url, json=call("silent", 8), headers=SIGNED_IN))

        group.start_soon(post_call)
        with anyio.fail_after(TIMEOUT):
            while not probe.cancelled.is_set():
                # The call may not be running yet: a cancel for an unknown call does nothing.
                assert (await http.post(url, json=cancel(8), headers=SIGNED_IN)).status_code == 202
                with anyio.move_on_after(0.05):
                    await wait_for(probe.cancelled)
    assert answers[0].status_code == 200
    assert answers[0].json()["error"]["code"] == -32603


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-request-id"),
        pytest.param({"requestId": True}, id="boolean-id"),
        pytest.param({"requestId": 99}, id="nothing-running"),
    ],
)
async def test_a_cancel_that_names_no_running_call_is_acknowledged(params: Any) -> None:
    server = make_server(Probe())
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}
    transport = httpx.ASGITransport(app=starlette_app(server))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        answer = await http.post("/mcp", json=body, headers=LEGACY_HEADERS)
        modern = await http.post(
            "/mcp", json=body, headers={**LEGACY_HEADERS, "mcp-protocol-version": "2026-07-28"}
        )
    assert answer.status_code == 202
    assert modern.status_code == 202


async def test_a_cancel_posted_to_another_server_on_the_store_reaches_the_call() -> None:
    store, probe = MemoryStore(), Probe()
    runner, other = make_server(probe, store=store), make_server(Probe(), store=store)
    runner_app, other_app = starlette_app(runner), starlette_app(other)
    async with (
        runner.lifespan(runner_app),
        other.lifespan(other_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other_app), base_url="http://127.0.0.1"
        ) as elsewhere,
    ):
        await store.publish(CHANNEL, b"not json")  # ignored by every listener
        await store.publish(CHANNEL, json.dumps(["someone", "1"]).encode())
        scope_cancel = anyio.Event()

        async def run_call() -> None:
            answer = await _call_in_process(runner_app)
            assert json.loads(answer)["error"]["code"] == -32603
            scope_cancel.set()

        async with anyio.create_task_group() as group:
            group.start_soon(run_call)
            with anyio.fail_after(TIMEOUT):
                while not scope_cancel.is_set():
                    posted = await elsewhere.post("/mcp", json=cancel(5), headers=SIGNED_IN)
                    assert posted.status_code == 202
                    with anyio.move_on_after(0.05):
                        await scope_cancel.wait()
    assert probe.cancelled.is_set()
    assert not probe.finished.is_set()


async def _call_in_process(app: Any) -> bytes:
    """Post a `silent` call straight to the ASGI app, as a server would receive it."""
    body = json.dumps(call("silent", 5)).encode()
    sent: list[bytes] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover - never reached

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "root_path": "",
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json, text/event-stream"),
            (b"mcp-protocol-version", LEGACY.encode()),
            (b"x-scopes", b""),
        ],
    }
    await app(scope, receive, send)
    return b"".join(sent)


def _initialize() -> dict[str, Any]:
    params = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t"}}
    return {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}


async def test_a_cancel_stops_only_the_call_of_its_own_session(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        sessions = []
        for _ in range(2):  # two anonymous clients declaring the same, in the same second
            answer = await http.post(url, json=_initialize(), headers=LEGACY_HEADERS)
            sessions.append({**LEGACY_HEADERS, "mcp-session-id": answer.headers["mcp-session-id"]})
        assert sessions[0] != sessions[1]
        first, second = sessions
        async with (
            read_events(http, "POST", url, json=call("gated", 7), headers=first) as mine,
            read_events(http, "POST", url, json=call("gated", 7), headers=second) as theirs,
        ):
            for stream in (mine, theirs):
                await stream.next()  # the priming event
                assert await stream.next() is not None  # "started": both calls run
            posted = await http.post(url, json=cancel(7), headers=first)
            assert posted.status_code == 202
            cancelled = data_of((await mine.rest())[-1])
            probe.gate.open()
            finished = data_of((await theirs.rest())[-1])
    assert "cancelled" in cancelled["error"]["message"]
    assert finished["result"]["content"][0]["text"] == "finished"


async def test_an_anonymous_cancel_without_a_session_stops_nothing(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with (
        httpx.AsyncClient(timeout=TIMEOUT) as http,
        read_events(http, "POST", url, json=call("gated", 7), headers=LEGACY_HEADERS) as stream,
    ):
        await stream.next()
        assert await stream.next() is not None
        # Nothing tells this caller from another anonymous one sending the same id.
        posted = await http.post(url, json=cancel(7), headers=LEGACY_HEADERS)
        assert posted.status_code == 202
        probe.gate.open()
        finished = data_of((await stream.rest())[-1])
    assert finished["result"]["content"][0]["text"] == "finished"
    assert not probe.cancelled.is_set()
