"""The worker threads sync tools and prompts run in."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from http_mcp import _concurrency
from http_mcp._concurrency import run_from_thread, run_in_thread

Runner = Callable[[Coroutine[Any, Any, Any]], Any]
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")

# The supported event loops (asyncio, uvloop), each run the way an application runs it.
on_every_event_loop = pytest.mark.parametrize(
    "run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"]
)


@on_every_event_loop
def test_a_sync_function_runs_off_the_loop_in_the_callers_context(run: Runner) -> None:
    def where() -> tuple[int, str]:
        return threading.get_ident(), request_id.get()

    async def call() -> tuple[int, str]:
        request_id.set("r-1")
        return await run_in_thread(where)

    ident, seen = run(call())
    assert ident != threading.get_ident()
    assert seen == "r-1"


@on_every_event_loop
def test_errors_reach_the_caller(run: Runner) -> None:
    def broken() -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        run(run_in_thread(broken))


@on_every_event_loop
def test_a_worker_thread_reaches_the_loop_it_was_called_from(run: Runner) -> None:
    async def on_loop(value: int) -> tuple[int, int]:
        return threading.get_ident(), value * 2

    def in_thread() -> tuple[int, int]:
        return run_from_thread(lambda: on_loop(21))

    async def call() -> tuple[tuple[int, int], int]:
        return await run_in_thread(in_thread), threading.get_ident()

    (ident, doubled), loop_ident = run(call())
    assert (ident, doubled) == (loop_ident, 42)


def test_a_thread_of_no_event_loop_is_told_so() -> None:
    async def never() -> None:
        raise AssertionError("not run")

    errors: list[BaseException] = []

    def foreign() -> None:
        try:
            run_from_thread(never)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=foreign)
    thread.start()
    thread.join()
    assert len(errors) == 1


def idents_of(workers: _concurrency._Workers, calls: int) -> set[int]:
    async def run() -> set[int]:
        idents = set()
        loop = asyncio.get_running_loop()
        for _ in range(calls):
            future: asyncio.Future[int] = loop.create_future()
            workers.submit((loop, future, contextvars.copy_context(), threading.get_ident, ()))
            idents.add(await future)
        return idents

    return asyncio.run(run())


def test_one_after_another_calls_reuse_one_thread() -> None:
    assert len(idents_of(_concurrency._Workers(4), 30)) == 1


def test_calls_beyond_the_limit_wait_for_a_free_thread() -> None:
    workers = _concurrency._Workers(2)
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def busy() -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(5)
        with lock:
            running -= 1
        return threading.get_ident()

    async def run() -> list[int]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Any]] = []
        for _ in range(5):
            futures.append(loop.create_future())
            workers.submit((loop, futures[-1], contextvars.copy_context(), busy, ()))
        # Two threads were started; the three other calls wait for one of them.
        assert workers._threads == 2
        assert workers._backlog == 3
        release.set()
        return list(await asyncio.gather(*futures))

    threads = set(asyncio.run(run()))
    assert most == 2
    assert len(threads) == 2
    # Both threads are free again: later calls start no new one.
    assert idents_of(workers, 6) <= threads


def test_a_result_nobody_waits_for_is_dropped_and_the_thread_serves_on() -> None:
    workers = _concurrency._Workers(1)
    started = threading.Event()
    release = threading.Event()

    def slow(fail: bool) -> int:
        started.set()
        release.wait(5)
        if fail:
            raise ValueError("late")
        return threading.get_ident()

    async def abandon(fail: bool, wait_for_it: bool) -> None:
        started.clear()
        release.clear()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        workers.submit((loop, future, contextvars.copy_context(), slow, (fail,)))
        await asyncio.to_thread(started.wait, 5)
        future.cancel()  # the awaiting request went away
        if wait_for_it:
            release.set()
            # One thread, so this call's answer comes after the abandoned one's.
            after: asyncio.Future[int] = loop.create_future()
            workers.submit((loop, after, contextvars.copy_context(), threading.get_ident, ()))
            await after

    for fail in (False, True):
        asyncio.run(abandon(fail, wait_for_it=True))
        asyncio.run(abandon(fail, wait_for_it=False))  # its loop is closed before the answer
        release.set()
    assert len(idents_of(workers, 3)) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_starts_threads_of_its_own() -> None:
    # The parent has idle worker threads; the child has none of them and must not wait for them.
    def ident() -> int:
        return threading.get_ident()

    asyncio.run(run_in_thread(ident))
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process is risky: that risk is the point.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which coverage does not follow
        try:
            thread = asyncio.run(asyncio.wait_for(run_in_thread(ident), 5))
            os._exit(0 if thread != threading.get_ident() else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
