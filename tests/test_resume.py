"""Resumable event streams at the handshake revisions (`back_channel=True`), in one process."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any, Final

import anyio
import httpx
import pytest
from httpx2 import AsyncClient as SDKHTTPClient
from httpx2 import Timeout as SDKTimeout
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from http_mcp import MCPServer
from http_mcp.stores import MemoryStore
from http_mcp.types import Arguments, NoArguments, Tool
from tests.conftest import LEGACY, URL, legacy_request, modern_request, starlette_app, wire_for
from tests.resume_support import (
    SSE_ACCEPT,
    Gate,
    parse_events,
    read_events,
    resume_headers,
    wait_for,
)
from tests.test_store_wiring import CountingStore

pytestmark = pytest.mark.anyio

POST_HEADERS: Final = {"accept": "application/json, text/event-stream"}
LEGACY_HEADERS: Final = {**POST_HEADERS, "mcp-protocol-version": LEGACY}


class Probe:
    """What the tools of one test server report back to the test, across threads."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.finished = threading.Event()
        self.cancelled = threading.Event()


def make_server(probe: Probe, **options: Any) -> MCPServer:
    async def polling(arguments: Arguments[NoArguments]) -> str:
        """Ends its stream before it answers."""
        await arguments.log("info", "before")
        await arguments.close_stream()
        await arguments.close_stream()  # a second close does nothing
        await arguments.log("info", "after")
        return "polled"

    async def gated(arguments: Arguments[NoArguments]) -> str:
        """Says it started, then waits for the test."""
        await arguments.log("info", "started")
        try:
            await probe.gate.wait()
        except BaseException:
            probe.cancelled.set()
            raise
        await arguments.log("info", "released")
        probe.finished.set()
        return "finished"

    async def silent() -> str:
        """Waits for the test without a word."""
        try:
            await probe.gate.wait()
        except BaseException:
            probe.cancelled.set()
            raise
        probe.finished.set()
        return "finished"

    def quick() -> str:
        """Answers at once."""
        return "quick"

    return MCPServer(
        name="resume",
        version="1",
        tools=(Tool(func=polling), Tool(func=gated), Tool(func=silent), Tool(func=quick)),
        **{"back_channel": True, **options},
    )


def call(name: str, request_id: int = 1) -> dict[str, Any]:
    return legacy_request("tools/call", {"name": name, "arguments": {}}, request_id)


def data_of(event: dict[str, str]) -> Any:
    return json.loads(event["data"])


# -- the stream and its log, in process ----------------------------------------------------


async def test_a_closed_stream_is_resumed_with_what_followed() -> None:
    wire = wire_for(starlette_app(make_server(Probe())))
    async with wire.client as http:
        posted = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        assert posted.headers["content-type"] == "text/event-stream"
        events = parse_events(posted.text)
        assert [e["data"] for e in events[:1]] == [""]
        assert events[0]["retry"].isdigit()
        assert [data_of(e)["params"]["data"] for e in events[1:]] == ["before"]
        assert all("result" not in data_of(e) for e in events[1:])
        stream_id = events[0]["id"].split("/")[0]
        assert all(e["id"].startswith(f"{stream_id}/") for e in events)
        assert len({e["id"] for e in events}) == len(events)

        resumed = await http.get(URL, headers=resume_headers(events[0]["id"]))
        assert resumed.status_code == 200
        replayed = parse_events(resumed.text)
        assert [data_of(e).get("params", {}).get("data") for e in replayed] == [
            "before",
            "after",
            None,
        ]
        final = data_of(replayed[-1])
        assert final["id"] == 1
        assert final["result"]["content"][0]["text"] == "polled"

        from_middle = await http.get(URL, headers=resume_headers(replayed[0]["id"]))
        assert [e["id"] for e in parse_events(from_middle.text)] == [e["id"] for e in replayed[1:]]

        # A client that had everything and resumes anyway gets an empty stream, not an error.
        after_the_end = await http.get(URL, headers=resume_headers(replayed[-1]["id"]))
        assert after_the_end.status_code == 200
        assert parse_events(after_the_end.text) == []


async def test_another_stream_of_the_same_call_gets_other_ids() -> None:
    wire = wire_for(starlette_app(make_server(Probe())))
    async with wire.client as http:
        first = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        second = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
    ids = [e["id"] for answer in (first, second) for e in parse_events(answer.text)]
    assert len(set(ids)) == len(ids)
    assert ids[0].split("/")[0] != ids[-1].split("/")[0]


@pytest.mark.parametrize(
    "last_event_id",
    [
        pytest.param("not-an-id", id="no-slash"),
        pytest.param("short/0-1", id="stream-id-too-short"),
        pytest.param("A" * 24 + "/x-1", id="entry-not-numbers"),
        pytest.param("A" * 24 + "/0-1/0-2", id="two-entries"),
        pytest.param("ä" * 24 + "/0-1", id="not-ascii"),
    ],
)
async def test_a_malformed_last_event_id_is_a_clear_400(last_event_id: str) -> None:
    wire = wire_for(starlette_app(make_server(Probe())))
    async with wire.client as http:
        headers = [(b"accept", b"text/event-stream"), (b"last-event-id", last_event_id.encode())]
        answer = await http.get(URL, headers=headers)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == -32600


async def test_an_unknown_stream_and_another_callers_stream_get_the_same_404() -> None:
    wire = wire_for(starlette_app(make_server(Probe())))
    async with wire.client as http:
        mine = {**LEGACY_HEADERS, "x-scopes": "read"}
        posted = await http.post(URL, json=call("polling"), headers=mine)
        last = parse_events(posted.text)[0]["id"]
        theirs = await http.get(URL, headers=resume_headers(last, {"x-scopes": "admin"}))
        anonymous = await http.get(URL, headers=resume_headers(last))
        unknown = await http.get(URL, headers=resume_headers("B" * 24 + "/0-1"))
        own = await http.get(URL, headers=resume_headers(last, {"x-scopes": "read"}))
    assert theirs.status_code == anonymous.status_code == unknown.status_code == 404
    assert theirs.content == anonymous.content == unknown.content
    assert unknown.json()["error"]["code"] == -32600
    assert own.status_code == 200


async def test_an_expired_stream_gets_the_unknown_answer() -> None:
    server = make_server(Probe(), stream_ttl_ms=50)
    async with wire_for(starlette_app(server)).client as http:
        posted = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        last = parse_events(posted.text)[0]["id"]
        await anyio.sleep(0.2)  # expiry is a time, not an event
        answer = await http.get(URL, headers=resume_headers(last))
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("options", "headers", "status"),
    [
        pytest.param({"back_channel": False}, SSE_ACCEPT, 405, id="switch-off"),
        pytest.param({}, {"accept": "application/json"}, 406, id="no-event-stream-accepted"),
        pytest.param({}, {"accept": "text/html"}, 406, id="html-only"),
        pytest.param({}, {**SSE_ACCEPT, "mcp-protocol-version": "2026-07-28"}, 405, id="modern"),
    ],
)
async def test_a_get_that_cannot_be_served_is_refused_with_json(
    options: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    wire = wire_for(starlette_app(make_server(Probe(), **options)))
    async with wire.client as http:
        answer = await http.get(URL, headers={**headers, "last-event-id": "A" * 24 + "/0-1"})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == -32600


async def test_streams_are_not_logged_at_2026_or_with_the_switch_off() -> None:
    for options, era in (({}, "modern"), ({"back_channel": False}, "legacy")):
        store = CountingStore()
        wire = wire_for(starlette_app(make_server(Probe(), store=store, **options)))
        async with wire.client as http:
            if era == "modern":
                body, routing = modern_request("tools/call", {"name": "polling", "arguments": {}})
                answer = await http.post(URL, json=body, headers={**POST_HEADERS, **routing})
            else:
                answer = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        if era == "modern":  # nothing logged without a level: a JSON answer
            final = answer.json()
        else:
            events = parse_events(answer.text)
            assert all("id" not in e for e in events)
            final = data_of(events[-1])
        assert final["result"]["content"][0]["text"] == "polled"
        assert store.calls == Counter()


async def test_calls_that_never_stream_make_no_store_call() -> None:
    store = CountingStore()
    wire = wire_for(starlette_app(make_server(Probe(), store=store)))
    async with wire.client as http:
        for request_id in range(3):
            answer = await http.post(URL, json=call("quick", request_id), headers=LEGACY_HEADERS)
            assert answer.json()["result"]["content"][0]["text"] == "quick"
    assert store.calls == Counter()


def test_stream_options_must_be_positive() -> None:
    with pytest.raises(ValueError, match="stream_ttl_ms"):
        make_server(Probe(), stream_ttl_ms=0)


async def test_the_switch_needs_a_shared_store() -> None:
    server = make_server(Probe())
    assert server.needs_shared_store
    await server.aclose()  # nothing to stop: it never listened for cancels
    assert not make_server(Probe(), back_channel=False).needs_shared_store


# -- over a real socket ---------------------------------------------------------------------


async def test_a_disconnect_does_not_cancel_and_the_rest_is_resumable(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with httpx.AsyncClient(timeout=10) as http:
        async with read_events(http, "POST", url, json=call("gated"), headers=LEGACY_HEADERS) as s:
            priming = await s.next()
            started = await s.next()
        assert priming is not None
        assert started is not None
        assert data_of(started)["params"]["data"] == "started"
        probe.gate.open()
        await wait_for(probe.finished)
        assert not probe.cancelled.is_set()
        async with read_events(http, "GET", url, headers=resume_headers(started["id"])) as s:
            rest = await s.rest()
    assert [data_of(e).get("params", {}).get("data") for e in rest] == ["released", None]
    assert data_of(rest[-1])["result"]["content"][0]["text"] == "finished"


async def test_a_resume_waits_for_events_still_to_come(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe))).url
    async with httpx.AsyncClient(timeout=10) as http:
        async with read_events(http, "POST", url, json=call("gated"), headers=LEGACY_HEADERS) as s:
            priming = await s.next()
        assert priming is not None
        async with read_events(http, "GET", url, headers=resume_headers(priming["id"])) as s:
            started = await s.next()
            assert started is not None
            assert data_of(started)["params"]["data"] == "started"
            probe.gate.open()
            rest = await s.rest()
    assert data_of(rest[-1])["result"]["content"][0]["text"] == "finished"


async def test_a_call_nobody_resumes_is_stopped_after_the_ttl(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe, stream_ttl_ms=300))).url
    async with httpx.AsyncClient(timeout=10) as http:
        async with read_events(http, "POST", url, json=call("gated"), headers=LEGACY_HEADERS) as s:
            await s.next()
            started = await s.next()
        assert started is not None
        await wait_for(probe.cancelled)
        async with read_events(http, "GET", url, headers=resume_headers(started["id"])) as s:
            rest = await s.rest()
    assert not probe.finished.is_set()
    error = data_of(rest[-1])
    assert error["id"] == 1
    assert error["error"]["code"] == -32603
    assert "went away" in error["error"]["message"]


async def test_the_sdk_client_resumes_a_closed_stream_by_itself(live: Any) -> None:
    url = live(starlette_app(make_server(Probe(), store=MemoryStore()))).url
    logged: list[Any] = []

    async def on_log(params: Any) -> None:
        logged.append(params.data)

    async with (
        SDKHTTPClient(timeout=SDKTimeout(10.0)) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode="legacy",
            read_timeout_seconds=10,
            logging_callback=on_log,
        ) as client,
    ):
        assert client.protocol_version == LEGACY
        with anyio.fail_after(10):
            result = await client.call_tool("polling", {})
    assert not result.is_error
    assert isinstance(result.content[0], TextContent)
    assert result.content[0].text == "polled"
    assert logged == ["before", "after"]
