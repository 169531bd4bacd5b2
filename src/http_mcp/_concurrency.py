"""The hand-written asyncio fast paths of the request path, in one place.

- Calling a user function: async ones awaited, sync ones on a small pool of reusable worker
  threads of our own rather than `anyio.to_thread` (handing a call to a waiting thread and
  its result back costs one queue put and one `call_soon_threadsafe`, which matters when
  every request runs a quick sync tool).
- `until_disconnect`: a request's work with its first step taken inline, and a disconnect
  watcher only for work that waits.
- `TaskScope` and `request_group`: STDIO's per-request cancellation and plain tasks.

Supported event loops: asyncio and uvloop (any loop with asyncio tasks). Other anyio
backends (trio) are not supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import os
import queue
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from typing import Any, Final, Generic, TypeVar

import anyio
from pydantic import BaseModel
from starlette.types import Receive

from http_mcp._channel import CancelFlag

logger = logging.getLogger("http_mcp")

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
    """What to await for `func(*args)`.

    An async function's own coroutine (no frame of ours around it, on the hot path), or the
    call run in a worker thread.
    """
    if is_coroutine:
        return func(*args)  # type: ignore[no-any-return]
    return _in_thread(func, args)


async def _in_thread(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    # `run_in_thread` inlined: one coroutine fewer alive while the thread works (with many
    # calls in flight, every object they hold counts towards the next garbage collection).
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    _WORKERS.submit((loop, future, contextvars.copy_context(), func, args))
    result = await future
    # A model, the usual result, is never awaitable: asked first, it spares the general check.
    if not isinstance(result, BaseModel) and inspect.isawaitable(result):
        return await result
    return result


async def run_in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run `func(*args)` in a worker thread, in a copy of the caller's context."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    _WORKERS.submit((loop, future, contextvars.copy_context(), func, args))
    return await future


def run_from_thread(func: Callable[[], Awaitable[T]]) -> T:
    """From a worker thread, run `func()` on the event loop that handed out the call."""
    loop = getattr(_current, "loop", None)
    if loop is None:
        raise RuntimeError(
            "report_progress_sync and log_sync work only in the worker thread a sync tool or "
            "prompt runs in; from async code, await report_progress or log"
        )
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


# -- a request's work and its client's disconnection ------------------------------------


WATCH_AFTER_S: Final = 0.025
"""A request's work that has waited this long (at most twice this) gets a disconnect watcher."""


async def until_disconnect(
    work: Coroutine[Any, Any, T], receive: Receive, cancelled: CancelFlag
) -> tuple[T | None, bool]:
    """Run `work`; if the client disconnects first, cancel it and set `cancelled`.

    Returns the result and whether the client is still there. `work` takes its first step
    right here: most tool calls finish without waiting for anything, cannot be interrupted
    anyway, and so need no watcher. Work that waits gets one only once it has waited
    `WATCH_AFTER_S` to twice that: a task reading `receive` that cancels the request's own
    task on a disconnect, started by a sweep shared by all of the loop's waiting requests. A
    quick sync tool (a wait for its thread) so costs two dictionary entries, not a task
    started and cancelled; a disconnect is noticed at most `2 * WATCH_AFTER_S` late.
    """
    try:
        awaited = work.send(None)
    except StopIteration as finished:
        return finished.value, True
    task = asyncio.current_task()
    assert task is not None, "http-mcp runs on asyncio (or uvloop)"
    watch = _Watch(receive, task, cancelled)
    loop = task.get_loop()
    pending = _pending_watches(loop)
    pending.add(watch, loop)
    try:
        result: T = await _Resumed(work, awaited)
    except asyncio.CancelledError:
        if not cancelled.is_set():
            raise
        task.uncancel()
        return None, False
    finally:
        pending.discard(watch)
        watch.stop()
    return result, True


class _Watch:
    """The disconnect watcher of one request, started late (`WATCH_AFTER_S`) if at all."""

    __slots__ = ("_cancelled", "_receive", "_task", "_watcher")

    def __init__(self, receive: Receive, task: asyncio.Task[Any], cancelled: CancelFlag) -> None:
        self._receive = receive
        self._task = task
        self._cancelled = cancelled
        self._watcher: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._watcher = asyncio.ensure_future(_watch(self._receive, self._task, self._cancelled))

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()


class _PendingWatches:
    """The watches of one event loop's waiting requests, started by sweeps in generations.

    A sweep every `WATCH_AFTER_S` starts the watch of each request that was already waiting
    at the sweep before, instead of a timer per request; the sweeps stop while none waits.
    Holds no reference to its loop (the registry is keyed weakly by it).
    """

    __slots__ = ("_armed", "_old", "_young")

    def __init__(self) -> None:
        self._young: dict[_Watch, None] = {}
        self._old: dict[_Watch, None] = {}
        self._armed = False

    def add(self, watch: _Watch, loop: asyncio.AbstractEventLoop) -> None:
        self._young[watch] = None
        if not self._armed:
            self._armed = True
            loop.call_later(WATCH_AFTER_S, self._sweep)

    def discard(self, watch: _Watch) -> None:
        if self._young.pop(watch, _ABSENT) is _ABSENT:
            self._old.pop(watch, None)

    def _sweep(self) -> None:
        due, self._old, self._young = self._old, self._young, {}
        for watch in due:
            watch.start()
        if self._old:
            asyncio.get_running_loop().call_later(WATCH_AFTER_S, self._sweep)
        else:
            self._armed = False


_ABSENT: Final = object()
_pending_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PendingWatches] = (
    weakref.WeakKeyDictionary()
)
_last_pending: tuple[asyncio.AbstractEventLoop | None, _PendingWatches] = (None, _PendingWatches())


def _pending_watches(loop: asyncio.AbstractEventLoop) -> _PendingWatches:
    """The loop's `_PendingWatches`; the last one asked for is at hand (one read, thread-safe)."""
    global _last_pending
    last = _last_pending
    if last[0] is loop:
        return last[1]
    pending = _pending_by_loop.get(loop)
    if pending is None:
        pending = _pending_by_loop[loop] = _PendingWatches()
    _last_pending = (loop, pending)
    return pending


class _Resumed(Generic[T]):
    """Awaits the rest of a coroutine whose first step was taken by hand.

    Does what `await` does, from the second step on: what the coroutine waits for goes to
    the task, what the task sends or throws goes back to the coroutine.
    """

    __slots__ = ("_awaited", "_work")

    def __init__(self, work: Coroutine[Any, Any, T], awaited: Any) -> None:
        self._work = work
        self._awaited = awaited

    def __await__(self) -> Generator[Any, Any, T]:
        work, awaited = self._work, self._awaited
        while True:
            try:
                sent = yield awaited
            except GeneratorExit:
                work.close()
                raise
            except BaseException as exc:
                try:
                    awaited = work.throw(exc)
                except StopIteration as finished:
                    return finished.value  # type: ignore[no-any-return]
            else:
                try:
                    awaited = work.send(sent)
                except StopIteration as finished:
                    return finished.value  # type: ignore[no-any-return]


async def _watch(receive: Receive, task: asyncio.Task[Any], cancelled: CancelFlag) -> None:
    """Cancel `task` when the client disconnects; cancelled itself when the work ends first.

    It runs only between the request task's steps, so once the work has ended (and this
    watcher is cancelled) it can no longer cancel the request.
    """
    while True:
        try:
            message = await receive()
        except Exception:  # a broken receive tells nothing of the client: the work goes on
            return
        if message["type"] == "http.disconnect":
            cancelled.set()
            task.cancel()
            return


# -- STDIO: one task per request, each cancellable ----------------------------------------


class TaskScope:
    """A cancel scope over the current asyncio task.

    `cancel()` interrupts what the task is waiting for inside the `with` block, and the block
    swallows that cancellation.
    """

    __slots__ = ("_requested", "_task", "cancelled_caught")

    def __init__(self) -> None:
        task = asyncio.current_task()
        assert task is not None, "http-mcp runs on asyncio (or uvloop)"
        self._task = task
        self._requested = False
        self.cancelled_caught = False

    def __enter__(self) -> TaskScope:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        if kind is asyncio.CancelledError and self._requested and self._task.uncancel() == 0:
            self.cancelled_caught = True
            return True
        return False

    def cancel(self) -> None:
        if not self._requested:
            self._requested = True
            self._task.cancel()


@contextlib.asynccontextmanager
async def request_group() -> AsyncIterator[Callable[[Coroutine[Any, Any, None]], None]]:
    """Runs each request as a plain task of its own; on leaving, waits for those running.

    Plain tasks rather than an anyio task group, which costs several times as much per task
    (it shows when requests come one after another); leaving early cancels them.
    """
    running: set[asyncio.Task[None]] = set()

    def start(work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        running.add(task)
        task.add_done_callback(_finished(running))

    try:
        yield start
        while running:
            await asyncio.wait(set(running))
    finally:
        for task in running:
            task.cancel()
        with anyio.CancelScope(shield=True):
            while running:
                await asyncio.wait(set(running))


def _finished(running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def forget(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("a request could not be answered: %s", error, exc_info=error)

    return forget
