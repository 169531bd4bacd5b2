"""Calling a user function: async ones awaited, sync ones in a worker thread.

Sync functions run on a small pool of reusable threads of our own rather than
`anyio.to_thread`: handing a call to a waiting thread and its result back to the event loop
costs one queue put and one `call_soon_threadsafe`, which matters when every request runs
a quick sync tool. On event loops other than asyncio, anyio's worker threads are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

T = TypeVar("T")

MAX_WORKER_THREADS: Final = 40
"""How many sync functions may run at once; more calls wait for a free thread."""


def is_async(func: Callable[..., Any]) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - async callable objects
    )


def invoke(func: Callable[..., Any], is_coroutine: bool, *args: Any) -> Awaitable[Any]:
    """What to await for `func(*args)`: an async function's own coroutine (no frame of ours
    around it, on the hot path), or the call run in a worker thread."""
    if is_coroutine:
        return func(*args)  # type: ignore[no-any-return]
    return _in_thread(func, args)


async def _in_thread(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    result = await run_in_thread(func, *args)
    if inspect.isawaitable(result):
        return await result
    return result


async def run_in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run `func(*args)` in a worker thread, in a copy of the caller's context."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        import anyio.to_thread  # only needed on other event loops

        return await anyio.to_thread.run_sync(functools.partial(func, *args))
    future: asyncio.Future[T] = loop.create_future()
    _WORKERS.submit((loop, future, contextvars.copy_context(), func, args))
    return await future


def run_from_thread(func: Callable[[], Awaitable[T]]) -> T:
    """From a worker thread, run `func()` on the event loop that handed out the call."""
    loop = getattr(_current, "loop", None)
    if loop is None:
        # Not one of ours: an anyio worker thread (on loops other than asyncio), or a
        # thread anyio does not know either, which it refuses with a clear error.
        import anyio.from_thread  # only needed off our own worker threads

        return anyio.from_thread.run(_awaited, func)
    return asyncio.run_coroutine_threadsafe(_awaited(func), loop).result()


async def _awaited(func: Callable[[], Awaitable[T]]) -> T:
    return await func()


Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Any, Any]
_current = threading.local()


class _Workers:
    """Threads started as calls need them, up to a limit, then kept waiting for more."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._start_afresh()

    def _start_afresh(self) -> None:
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads waiting for a job that no submitted job has claimed
        self._backlog = 0  # submitted jobs waiting for a thread to finish its job

    def forget_threads(self) -> None:
        """In a forked child: the parent's threads were not copied, so count none."""
        self._start_afresh()

    def submit(self, job: Job) -> None:
        with self._lock:
            start = False
            if self._idle:
                self._idle -= 1
            elif self._threads < self._limit:
                self._threads += 1
                start = True
            else:
                self._backlog += 1
        self._jobs.put(job)
        if start:
            threading.Thread(target=self._work, name="http-mcp-worker", daemon=True).start()

    def _work(self) -> None:
        while True:
            loop, future, context, func, args = self._jobs.get()
            _current.loop = loop
            try:
                outcome: tuple[Callable[..., None], Any] = (_succeed, context.run(func, *args))
            except BaseException as exc:  # handed to the awaiting coroutine
                outcome = (_fail, exc)
            finally:
                _current.loop = None
            with self._lock:
                # Free before the result is out, so the next call finds this thread idle.
                if self._backlog:
                    self._backlog -= 1
                else:
                    self._idle += 1
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting
                loop.call_soon_threadsafe(outcome[0], future, outcome[1])
            del future, outcome


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)


_WORKERS: Final = _Workers(MAX_WORKER_THREADS)
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_WORKERS.forget_threads)
