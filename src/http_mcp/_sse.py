"""One request's response, upgraded to a server-sent-event stream on its first notification.

Most requests never notify and are answered with plain JSON. When a handler emits a
notification, the response starts as `text/event-stream`; the notifications and then the
response itself are its events, and the stream ends with the response.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable
from typing import Any, Final, TypeVar

import anyio
from starlette.types import Receive, Send

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
        self._lock = anyio.Lock()
        self.started = False

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        async with self._lock:
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
        async with self._lock:
            await self._send(
                {"type": "http.response.body", "body": _event(body), "more_body": False}
            )


def _event(data: bytes) -> bytes:
    return b"event: message\ndata: " + data + b"\n\n"


async def until_disconnect(
    work: Awaitable[T], receive: Receive, cancelled: threading.Event
) -> tuple[T | None, bool]:
    """Run `work`; if the client disconnects first, cancel it and set `cancelled`.

    Returns the result and whether the client is still there.
    """
    result: T | None = None
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    cancelled.set()
                    group.cancel_scope.cancel()
                    return

        group.start_soon(watch)
        result = await work
        group.cancel_scope.cancel()
    return result, not cancelled.is_set()
