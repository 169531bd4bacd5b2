"""`until_disconnect`: the first step taken by hand, a watcher only for work still waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

from http_mcp import _concurrency
from http_mcp._channel import CancelFlag
from http_mcp._concurrency import until_disconnect
from tests.conftest import EVENT_LOOPS

pytestmark = pytest.mark.anyio


@pytest.fixture(params=EVENT_LOOPS)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param


async def test_each_supported_event_loop_is_the_one_running(anyio_backend: Any) -> None:
    _, options = anyio_backend
    on_uvloop = isinstance(asyncio.get_running_loop(), uvloop.Loop)
    assert on_uvloop == options.get("use_uvloop", False)


async def stays_connected() -> dict[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_only_work_still_waiting_after_the_delay_gets_a_watcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def quick() -> int:
        return len(asyncio.all_tasks())

    async def waits() -> int:
        await asyncio.sleep(0)
        return len(asyncio.all_tasks())

    watched = asyncio.Event()

    async def receive() -> dict[str, Any]:
        watched.set()  # the watcher has started: it reads for a disconnect
        return await stays_connected()

    async def waits_for_its_watcher() -> int:
        await watched.wait()
        return len(asyncio.all_tasks())

    before = len(asyncio.all_tasks())
    assert await until_disconnect(quick(), receive, CancelFlag()) == (before, True)
    assert await until_disconnect(waits(), receive, CancelFlag()) == (before, True)
    assert not watched.is_set()
    assert _concurrency.WATCH_AFTER_S > 0
    monkeypatch.setattr(_concurrency, "WATCH_AFTER_S", 0)
    result = await until_disconnect(waits_for_its_watcher(), receive, CancelFlag())
    assert result == (before + 1, True)
    for _ in range(3):  # the cancelled watcher's last steps
        await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before


async def test_waiting_requests_share_sweeps_that_stop_when_none_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_concurrency, "WATCH_AFTER_S", 0)
    loop = asyncio.get_running_loop()
    pending = _concurrency._pending_watches(loop)
    release = asyncio.Event()
    reading: list[int] = []

    def reader(number: int) -> Any:
        async def receive() -> dict[str, Any]:
            reading.append(number)
            if len(reading) == 3:
                release.set()
            return await stays_connected()

        return receive

    async def held(number: int) -> int:
        await release.wait()
        return number

    requests = [until_disconnect(held(n), reader(n), CancelFlag()) for n in range(3)]
    assert await asyncio.gather(*requests) == [(n, True) for n in range(3)]
    assert sorted(reading) == [0, 1, 2]  # every waiting request got its watcher
    for _ in range(3):  # a last sweep finds nothing and stops
        await asyncio.sleep(0)
    assert not pending._armed
    assert (pending._young, pending._old) == ({}, {})
    assert _concurrency._pending_watches(loop) is pending


async def test_values_and_errors_pass_through_after_the_first_wait() -> None:
    loop = asyncio.get_running_loop()

    async def answer(value: str) -> str:
        future: asyncio.Future[str] = loop.create_future()
        loop.call_soon(future.set_result, value)
        return await future + "!"

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("broken after waiting")

    async def recovers() -> str:
        future: asyncio.Future[str] = loop.create_future()
        loop.call_soon(future.set_exception, KeyError("k"))
        try:
            await future
        except KeyError:
            await asyncio.sleep(0)
            return "recovered"
        return "not reached"

    assert await until_disconnect(answer("yes"), stays_connected, CancelFlag()) == ("yes!", True)
    with pytest.raises(ValueError, match="broken after waiting"):
        await until_disconnect(fails(), stays_connected, CancelFlag())
    assert await until_disconnect(recovers(), stays_connected, CancelFlag()) == (
        "recovered",
        True,
    )


async def test_a_disconnect_cancels_waiting_work_and_sets_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_concurrency, "WATCH_AFTER_S", 0)
    gone = asyncio.Event()
    seen: list[str] = []

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def slow() -> str:
        gone.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "never"

    flag = CancelFlag()
    assert await asyncio.wait_for(until_disconnect(slow(), receive, flag), 5) == (None, False)
    assert flag.is_set()
    assert seen == ["cancelled"]
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_cancelling_the_request_elsewhere_is_not_taken_for_a_disconnect() -> None:
    started = asyncio.Event()
    flag = CancelFlag()

    async def slow() -> None:
        started.set()
        await asyncio.Event().wait()

    request = asyncio.ensure_future(until_disconnect(slow(), stays_connected, flag))
    await started.wait()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert not flag.is_set()


async def test_closing_the_request_closes_the_work() -> None:
    finished: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            finished.append("closed")

    request = until_disconnect(slow(), stays_connected, CancelFlag())
    request.send(None)  # the work waits: the request is suspended on it
    request.close()
    assert finished == ["closed"]


async def test_work_that_handles_a_cancellation_returns_its_own_answer() -> None:
    started = asyncio.Event()

    async def stubborn() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return "cleaned up"
        return "never"

    request = asyncio.ensure_future(until_disconnect(stubborn(), stays_connected, CancelFlag()))
    await started.wait()
    request.cancel()
    assert await request == ("cleaned up", True)
