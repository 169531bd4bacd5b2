"""One request's response, upgraded to a server-sent-event stream on its first notification.

Most requests never notify and are answered with plain JSON. When a handler emits a
notification, the response starts as `text/event-stream`; the notifications and then the
response itself are its events, and the stream ends with the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Final, TypeVar

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
    work: Awaitable[T], receive: Receive, cancelled: CancelFlag
) -> tuple[T | None, bool]:
    """Run `work`; if the client disconnects first, cancel it and set `cancelled`.

    Returns the result and whether the client is still there. Under asyncio a watcher task
    cancels the request's own task (an anyio task group here costs more than most tool
    calls), and the watcher is only started once `work` has waited for something: work that
    finishes without waiting, as most tool calls do, cannot be interrupted anyway.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is None:
        return await _until_disconnect_anyio(work, receive, cancelled)
    watch = _Watch(task, receive, cancelled)
    start = asyncio.get_running_loop().call_soon(watch.start)
    try:
        result = await work
    except asyncio.CancelledError:
        if not cancelled.is_set():
            raise
        task.uncancel()
        return None, False
    finally:
        start.cancel()
        watch.stop()
    return result, True


class _Watch:
    __slots__ = ("_cancelled", "_finished", "_receive", "_task", "_watcher")

    def __init__(self, task: asyncio.Task[Any], receive: Receive, cancelled: CancelFlag) -> None:
        self._task = task
        self._receive = receive
        self._cancelled = cancelled
        self._finished = False
        self._watcher: asyncio.Future[bool] | None = None

    def start(self) -> None:
        if not self._finished:
            self._watcher = asyncio.ensure_future(_disconnected(self._receive))
            self._watcher.add_done_callback(self._on_disconnect)

    def stop(self) -> None:
        self._finished = True
        if self._watcher is not None:
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
    work: Awaitable[T], receive: Receive, cancelled: CancelFlag
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
