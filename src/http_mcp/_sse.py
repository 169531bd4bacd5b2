"""One request's response, upgraded to a server-sent-event stream on its first notification.

Most requests never notify and are answered with plain JSON. When a handler emits a
notification, the response starts as `text/event-stream`; the notifications and then the
response itself are its events, and the stream ends with the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, Final, Generic, TypeVar

import anyio
from starlette.types import Receive, Send

from http_mcp._channel import CancelFlag
from http_mcp.jsonrpc import notification_bytes

T = TypeVar("T")

SSE_HEADERS: Final = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class ResponseStream:
    """Sends notifications as events, switching the response to SSE on the first one."""

    __slots__ = ("_lock", "_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock: anyio.Lock | None = None
        self.started = False

    @property
    def lock(self) -> anyio.Lock:
        # Made on first use: most responses never notify.
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        async with self.lock:
            if not self.started:
                self.started = True
                await self._send(
                    {"type": "http.response.start", "status": 200, "headers": SSE_HEADERS}
                )
            await self._send(
                {
                    "type": "http.response.body",
                    "body": _event(notification_bytes(method, params)),
                    "more_body": True,
                }
            )

    async def finish(self, body: bytes) -> None:
        async with self.lock:
            await self._send(
                {"type": "http.response.body", "body": _event(body), "more_body": False}
            )


def _event(data: bytes) -> bytes:
    return b"event: message\ndata: " + data + b"\n\n"


async def until_disconnect(
    work: Coroutine[Any, Any, T], receive: Receive, cancelled: CancelFlag
) -> tuple[T | None, bool]:
    """Run `work`; if the client disconnects first, cancel it and set `cancelled`.

    Returns the result and whether the client is still there. `work` takes its first step
    right here: most tool calls finish without waiting for anything, cannot be interrupted
    anyway, and so need no watcher. Only work that waits gets one: under asyncio a task
    reading `receive` that cancels the request's own task on a disconnect (an anyio task
    group per request costs more than most tool calls).
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is None:
        return await _until_disconnect_anyio(work, receive, cancelled)
    try:
        awaited = work.send(None)
    except StopIteration as finished:
        return finished.value, True
    watch = _Watch(task, receive, cancelled)
    try:
        result: T = await _Resumed(work, awaited)
    except asyncio.CancelledError:
        if not cancelled.is_set():
            raise
        task.uncancel()
        return None, False
    finally:
        watch.stop()
    return result, True


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


class _Watch:
    __slots__ = ("_cancelled", "_finished", "_task", "_watcher")

    def __init__(self, task: asyncio.Task[Any], receive: Receive, cancelled: CancelFlag) -> None:
        self._task = task
        self._cancelled = cancelled
        self._finished = False
        self._watcher = asyncio.ensure_future(_disconnected(receive))
        self._watcher.add_done_callback(self._on_disconnect)

    def stop(self) -> None:
        self._finished = True
        self._watcher.remove_done_callback(self._on_disconnect)
        self._watcher.cancel()

    def _on_disconnect(self, done: asyncio.Future[bool]) -> None:
        if self._finished or done.cancelled() or done.exception() is not None:
            return
        self._cancelled.set()
        self._task.cancel()


async def _disconnected(receive: Receive) -> bool:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True


async def _until_disconnect_anyio(
    work: Coroutine[Any, Any, T], receive: Receive, cancelled: CancelFlag
) -> tuple[T | None, bool]:
    result: T | None = None
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            await _disconnected(receive)
            cancelled.set()
            group.cancel_scope.cancel()

        group.start_soon(watch)
        result = await work
        group.cancel_scope.cancel()
    return result, not cancelled.is_set()
