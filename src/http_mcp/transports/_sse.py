"""One request's response, upgraded to a server-sent-event stream on its first notification.

Most requests never notify and are answered with plain JSON. When a handler emits a
notification, the response starts as `text/event-stream`; the notifications and then the
response itself are its events, and the stream ends with the response.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final, TypeVar

import anyio
from starlette.types import Send

from http_mcp.jsonrpc import RequestId, notification_bytes, request_bytes

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
        await self.send_message(notification_bytes(method, params))

    async def request(self, request_id: RequestId, method: str, params: dict[str, Any]) -> None:
        """Send the client a request of the server's (the back channel)."""
        await self.send_message(request_bytes(request_id, method, params))

    async def send_message(self, message: bytes) -> None:
        """Send one JSON-RPC message ahead of the response, as an event."""
        async with self.lock:
            await self.open()
            await self._send(
                {"type": "http.response.body", "body": event(message), "more_body": True}
            )

    async def open(self) -> None:
        """Start the event-stream response, once; call it holding `lock`."""
        if not self.started:
            self.started = True
            await self._send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})

    async def kept_alive(self, work: Awaitable[T], interval: float) -> T:
        """Await `work`, sending a `:` comment line every `interval` seconds of silence."""
        done: list[T] = []
        async with anyio.create_task_group() as group:
            group.start_soon(self._keep_alive, interval)
            done.append(await work)
            group.cancel_scope.cancel()
        return done[0]

    async def _keep_alive(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            async with self.lock:
                if self.started:
                    await self._send(
                        {
                            "type": "http.response.body",
                            "body": b": keep-alive\n\n",
                            "more_body": True,
                        }
                    )

    async def end(self) -> None:
        """End a stream that has no response to close it (the GET stream of changes)."""
        async with self.lock:
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def finish(self, body: bytes) -> None:
        async with self.lock:
            await self._send(
                {"type": "http.response.body", "body": event(body), "more_body": False}
            )


def event(data: bytes, event_id: str | None = None) -> bytes:
    """One server-sent event carrying a JSON-RPC message, with its id when it has one."""
    if event_id is None:
        return b"event: message\ndata: " + data + b"\n\n"
    return b"id: " + event_id.encode() + b"\nevent: message\ndata: " + data + b"\n\n"
