"""The STDIO transport: newline-delimited JSON-RPC on stdin and stdout.

Each line is one message. Requests are answered concurrently, each response written whole on
its own line. `notifications/cancelled` cancels the matching request. At end of input the
requests in flight finish before `serve` returns.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import anyio
import anyio.to_thread
from starlette.authentication import AuthCredentials, SimpleUser, UnauthenticatedUser
from starlette.requests import Request

from http_mcp._context import Reply, RequestContext
from http_mcp.jsonrpc import (
    INVALID_REQUEST,
    JSONRPCError,
    Message,
    Notification,
    RequestId,
    error_bytes,
    parse,
)
from http_mcp.jsonrpc import (
    Request as RPCRequest,
)

logger = logging.getLogger("http_mcp")

Handle = Callable[[Message, RequestContext], Awaitable[Reply | None]]
CANCELLED: Final = "notifications/cancelled"


def stand_in_request(scopes: frozenset[str], state: Mapping[str, Any]) -> Request:
    """The `Request` a tool sees under STDIO: no network, the configured scopes and state."""
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "stdio",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": None,
        "server": None,
        "state": dict(state),
        "auth": AuthCredentials(sorted(scopes)),
        "user": SimpleUser("stdio") if scopes else UnauthenticatedUser(),
    }
    return Request(scope)


@dataclass
class StdioSession:
    """One run over a pair of streams. Holds only what is in flight on this pipe."""

    handle: Handle
    scopes: frozenset[str]
    state: Mapping[str, Any]
    max_message_size: int
    _in_flight: dict[RequestId, anyio.CancelScope] = field(default_factory=dict)
    _write_lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        async with anyio.create_task_group() as group:
            while True:
                line, oversized = await anyio.to_thread.run_sync(
                    _read_line, stdin, self.max_message_size, abandon_on_cancel=True
                )
                if oversized:
                    await self._write(stdout, _too_large(self.max_message_size))
                    continue
                if not line:
                    break
                text = line.decode("utf-8", errors="replace").strip()
                if text:
                    group.start_soon(self._answer, text, stdout)

    async def _answer(self, text: str, stdout: BinaryIO) -> None:
        try:
            message = parse(text)
        except JSONRPCError as exc:
            await self._write(stdout, exc.to_bytes())
            return
        if isinstance(message, Notification) and message.method == CANCELLED:
            self._cancel(message.params.get("requestId"))
        context = RequestContext(
            request=stand_in_request(self.scopes, self.state), scopes=self.scopes
        )
        if not isinstance(message, RPCRequest):
            reply = await self.handle(message, context)
            if reply is not None:
                await self._write(stdout, reply.body)
            return
        with anyio.CancelScope() as scope:
            self._in_flight[message.id] = scope
            try:
                reply = await self.handle(message, context)
            finally:
                if self._in_flight.get(message.id) is scope:
                    del self._in_flight[message.id]
            if reply is not None:
                await self._write(stdout, reply.body)
        if scope.cancelled_caught:
            logger.debug("request %r cancelled by the client", message.id)

    def _cancel(self, request_id: Any) -> None:
        scope = self._in_flight.get(request_id) if isinstance(request_id, str | int) else None
        if scope is not None:
            scope.cancel()

    async def _write(self, stdout: BinaryIO, body: bytes) -> None:
        async with self._write_lock:
            await anyio.to_thread.run_sync(_write_frame, stdout, body)


def _read_line(stdin: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """One line of at most `limit` bytes; an oversized line is skipped whole."""
    line = stdin.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, False
    while line and not line.endswith(b"\n"):
        line = stdin.readline(65536)
    return b"", True


def _write_frame(stdout: BinaryIO, body: bytes) -> None:
    stdout.write(body + b"\n")
    stdout.flush()


def _too_large(limit: int) -> bytes:
    return error_bytes(
        None, INVALID_REQUEST, f"Message too large: the limit is {limit} bytes per line"
    )


@contextmanager
def protocol_stdout() -> Iterator[BinaryIO]:
    """Keep the process's stdout for protocol frames only.

    File descriptor 1 is pointed at stderr for the duration, so a stray `print()` or a library
    writing to stdout lands in the log instead of corrupting the stream. Frames go to a
    duplicate of the original stdout.
    """
    sys.stdout.flush()
    original_fd = os.dup(1)
    os.dup2(2, 1)
    frames = os.fdopen(os.dup(original_fd), "wb")
    try:
        yield frames
    finally:
        frames.close()
        sys.stdout.flush()
        os.dup2(original_fd, 1)
        os.close(original_fd)
