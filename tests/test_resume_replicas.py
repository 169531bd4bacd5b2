"""Resumable streams and the GET stream across three replicas sharing one Redis.

Calls start on replica A (addressed directly, or through a round-robin proxy that sends each
request to the next replica); their streams are resumed on the others.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import anyio
import httpx
import pytest
from mcp.types import TextContent, ToolListChangedNotification

from tests.conftest import LEGACY, legacy_request
from tests.replica_support import Replicas, RoundRobinProxy
from tests.resume_support import SSE_ACCEPT, EventReader, read_events, resume_headers
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

TARGET: Final = "tests.fixtures.resume_app:app"
TIMEOUT_S: Final = 20.0
POST_HEADERS: Final = {
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": LEGACY,
}


@pytest.fixture(scope="module")
def replicas(redis_url: str) -> Iterator[Replicas]:
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        yield client


def call(tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return legacy_request("tools/call", {"name": tool, "arguments": arguments or {}})


async def release(http: httpx.AsyncClient, url: str, key: str) -> None:
    answer = await http.post(url, json=call("release", {"key": key}), headers=POST_HEADERS)
    assert answer.json()["result"]["content"][0]["text"] == "released"


async def logged(stream: EventReader) -> tuple[str, Any]:
    """The next event's id and its log message's data (or the whole message)."""
    found = await stream.next()
    assert found is not None
    message = json.loads(found["data"])
    return found["id"], message.get("params", {}).get("data", message)


async def started_on(http: httpx.AsyncClient, url: str, key: str) -> str:
    """Start `stages` on one replica, read up to "waiting", break the stream; its last id."""
    async with read_events(
        http, "POST", url, json=call("stages", {"key": key}), headers=POST_HEADERS
    ) as stream:
        priming = await stream.next()
        assert priming is not None
        assert priming["data"] == ""
        assert "retry" in priming
        last, said = await logged(stream)
    assert said == "waiting"
    return last


async def test_a_stream_broken_mid_call_resumes_on_another_replica(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    a, b, c = replicas.members
    with anyio.fail_after(TIMEOUT_S):
        last = await started_on(http, a.url, "broken")
        await release(http, b.url, "broken")  # missed: the stream is broken
        async with read_events(http, "GET", c.url, headers=resume_headers(last)) as resumed:
            _, missed = await logged(resumed)
            assert missed == "released 1"
            await release(http, b.url, "broken")
            _, then = await logged(resumed)
            _, final = await logged(resumed)
            assert await resumed.next() is None
    assert then == "released 2"
    assert final["id"] == 1
    assert final["result"]["content"][0]["text"] == f"finished by {a.pid}"


async def test_the_sdk_client_resumes_a_closed_stream_through_the_proxy(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    waiting = anyio.Event()

    async def on_log(params: Any) -> None:
        if params.data == "waiting":
            waiting.set()

    async def release_when_waiting(url: str) -> None:
        await waiting.wait()
        await release(http, url, "sdk")

    async with (
        RoundRobinProxy(replicas.ports) as proxy,
        sdk_client(proxy.url, "legacy", wait_s=TIMEOUT_S, logging_callback=on_log) as client,
        anyio.create_task_group() as group,
    ):
        assert client.protocol_version == LEGACY
        group.start_soon(release_when_waiting, proxy.url)
        with anyio.fail_after(TIMEOUT_S):
            result = await client.call_tool("polling", {"key": "sdk", "releases": 1})
    assert not result.is_error
    assert isinstance(result.content[0], TextContent)
    runner = int(result.content[0].text.split()[-1])
    assert runner in replicas.pids
    assert len(proxy.forwarded) == 3


async def test_a_get_listener_on_one_replica_hears_a_change_made_on_another(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    a, b, _ = replicas.members
    headers = {**SSE_ACCEPT, "mcp-protocol-version": LEGACY}
    with anyio.fail_after(TIMEOUT_S):
        async with read_events(http, "GET", b.url, headers=headers) as listening:
            assert listening.response.status_code == 200
            touched = await http.post(a.url, json=call("touch"), headers=POST_HEADERS)
            assert touched.json()["result"]["content"][0]["text"] == "announced"
            change = await listening.next()
    assert change is not None
    assert json.loads(change["data"])["method"] == "notifications/tools/list_changed"


async def test_the_sdk_clients_get_stream_hears_a_change_made_on_a_replica(
    replicas: Replicas, http: httpx.AsyncClient
) -> None:
    a = replicas.members[0]
    heard = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ToolListChangedNotification):
            heard.set()

    async with (
        RoundRobinProxy(replicas.ports) as proxy,
        sdk_client(proxy.url, "legacy", wait_s=TIMEOUT_S, message_handler=on_message),
    ):
        with anyio.fail_after(TIMEOUT_S):
            # The client opens its GET stream in the background, with no sign when it is
            # open: announce on A until it hears one.
            while not heard.is_set():
                touched = await http.post(a.url, json=call("touch"), headers=POST_HEADERS)
                assert touched.status_code == 200
                with anyio.move_on_after(0.2):
                    await heard.wait()
        assert sum(proxy.forwarded.values()) >= 3


async def test_a_resume_of_a_killed_replicas_call_ends_with_an_error(redis_url: str) -> None:
    with Replicas(TARGET, 3, store_url=redis_url) as running:
        a, b, c = running.members
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
            with anyio.fail_after(TIMEOUT_S):
                last = await started_on(http, a.url, "killed")
                async with read_events(http, "GET", b.url, headers=resume_headers(last)) as on_b:
                    a.kill()
                    events = await on_b.rest()
                late = await http.get(c.url, headers=resume_headers(last))
    for answer in (json.loads(events[-1]["data"]), json.loads(late.text.split("data: ")[-1])):
        assert answer["id"] == 1
        assert answer["error"]["code"] == -32603
        assert "stopped" in answer["error"]["message"]
