"""Resumable streams when the store fails, when a resume waits long, and a first-event id."""

from __future__ import annotations

from typing import Any, Final

import anyio
import httpx
import pytest

from http_mcp.exceptions import StoreUnavailableError
from http_mcp.stores import MemoryStore
from tests.conftest import URL, starlette_app, wire_for
from tests.resume_support import parse_events, read_events, resume_headers, wait_for
from tests.test_resume import LEGACY_HEADERS, Probe, call, data_of, make_server

pytestmark = pytest.mark.anyio

TIMEOUT: Final = 10.0


class FailingStore(MemoryStore):
    """An in-process store whose chosen operations fail as if Redis were away."""

    def __init__(self, *failing: str, appends: int | None = None) -> None:
        super().__init__()
        self.failing = set(failing)
        self.appends = appends  # how many appends succeed before they fail

    def _check(self, operation: str) -> None:
        if operation in self.failing:
            raise StoreUnavailableError(f"{operation}: the store is away")

    async def get(self, key: str) -> bytes | None:
        self._check("get")
        return await super().get(key)

    async def put(self, key: str, value: bytes, *, ttl_ms: int, if_absent: bool = False) -> bool:
        self._check("put")
        return await super().put(key, value, ttl_ms=ttl_ms, if_absent=if_absent)

    async def append(self, log: str, entry: bytes, *, ttl_ms: int, max_len: int = 1000) -> str:
        self._check("append")
        if self.appends is not None:
            if self.appends == 0:
                raise StoreUnavailableError("append: the store went away")
            self.appends -= 1
        return await super().append(log, entry, ttl_ms=ttl_ms, max_len=max_len)

    async def read_after(
        self, log: str, after: str | None, *, limit: int = 100, block_ms: int = 0
    ) -> list[tuple[str, bytes]]:
        self._check("read_after")
        return await super().read_after(log, after, limit=limit, block_ms=block_ms)

    async def publish(self, channel: str, message: bytes) -> None:
        self._check("publish")
        await super().publish(channel, message)


async def test_a_stream_the_store_cannot_keep_is_served_without_ids() -> None:
    server = make_server(Probe(), store=FailingStore("put"))
    async with wire_for(starlette_app(server)).client as http:
        answer = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
    events = parse_events(answer.text)
    assert all("id" not in e for e in events)
    # Not resumable, so close_stream() kept the stream open for the result.
    assert [data_of(e).get("params", {}).get("data") for e in events] == ["before", "after", None]


async def test_events_the_store_cannot_append_go_out_without_ids() -> None:
    server = make_server(Probe(), store=FailingStore(appends=2))  # the priming event, "before"
    async with wire_for(starlette_app(server)).client as http:
        posted = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        priming = parse_events(posted.text)[0]
        resumed = await http.get(URL, headers=resume_headers(priming["id"]))
    events = parse_events(resumed.text)
    assert data_of(events[0])["params"]["data"] == "before"
    # What the store could not keep is lost to resumers, who are told the call's end is lost.
    assert data_of(events[-1])["error"]["code"] == -32603


@pytest.mark.parametrize("failing", ["get", "read_after"])
async def test_a_resume_while_the_store_is_away_is_a_clear_error(failing: str) -> None:
    store = FailingStore()
    server = make_server(Probe(), store=store)
    async with wire_for(starlette_app(server)).client as http:
        posted = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        last = parse_events(posted.text)[0]["id"]
        store.failing = {failing}
        answer = await http.get(URL, headers=resume_headers(last))
    if failing == "get":
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == -32603
    else:  # the stream had begun: it ends, and the client may resume again later
        assert answer.status_code == 200
        assert parse_events(answer.text) == []


async def test_a_resume_from_the_first_id_skips_the_priming_event() -> None:
    async with wire_for(starlette_app(make_server(Probe()))).client as http:
        posted = await http.post(URL, json=call("polling"), headers=LEGACY_HEADERS)
        stream_id = parse_events(posted.text)[0]["id"].split("/")[0]
        answer = await http.get(URL, headers=resume_headers(f"{stream_id}/0-0"))
    replayed = parse_events(answer.text)
    assert all(e["data"] for e in replayed)
    assert data_of(replayed[-1])["result"]["content"][0]["text"] == "polled"


async def test_a_waiting_resume_gets_keep_alives_and_may_be_left(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe, task_lease_ms=60))).url
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        async with read_events(http, "POST", url, json=call("gated"), headers=LEGACY_HEADERS) as s:
            priming = await s.next()
        assert priming is not None
        with anyio.fail_after(TIMEOUT):
            async with http.stream("GET", url, headers=resume_headers(priming["id"])) as resume:
                lines = resume.aiter_lines()
                while not (await anext(lines)).startswith(":"):
                    pass
        # The resume was left; the call goes on, and a later resume gets its end.
        probe.gate.open()
        await wait_for(probe.finished)
        async with read_events(http, "GET", url, headers=resume_headers(priming["id"])) as s:
            rest = await s.rest()
    assert data_of(rest[-1])["result"]["content"][0]["text"] == "finished"


async def test_a_silent_call_whose_client_left_is_stopped_after_the_ttl(live: Any) -> None:
    probe = Probe()
    url = live(starlette_app(make_server(probe, stream_ttl_ms=100))).url
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        with anyio.move_on_after(0.3):  # leave before any event: nothing to resume
            await http.post(url, json=call("silent"), headers=LEGACY_HEADERS)
        await wait_for(probe.cancelled)
    assert not probe.finished.is_set()


async def test_a_cancel_the_store_cannot_pass_on_is_still_acknowledged() -> None:
    server = make_server(Probe(), store=FailingStore("publish"))
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3}}
    async with wire_for(starlette_app(server)).client as http:
        answer = await http.post(URL, json=body, headers=LEGACY_HEADERS)
    assert answer.status_code == 202


async def test_a_server_whose_store_cannot_subscribe_still_starts() -> None:
    class NoSubscriptions(MemoryStore):
        def subscribe(self, *channels: str) -> Any:
            raise StoreUnavailableError("the store is away")

    server = make_server(Probe(), store=NoSubscriptions())
    with anyio.fail_after(TIMEOUT):
        async with server.lifespan(None):
            pass
