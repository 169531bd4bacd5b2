"""The STDIO transport: newline-delimited JSON-RPC on stdin and stdout.

Each line is one message. Requests are answered concurrently, each response written whole on
its own line. `notifications/cancelled` cancels the matching request. At end of input the
requests in flight finish before `serve` returns.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import anyio
import anyio.to_thread
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectSendStream
from starlette.authentication import AuthCredentials, SimpleUser, UnauthenticatedUser
from starlette.requests import Request

from http_mcp._channel import CancelFlag
from http_mcp._context import Reply, RequestContext
from http_mcp.jsonrpc import (
    INVALID_REQUEST,
    JSONRPCError,
    Message,
    Notification,
    RequestId,
    error_bytes,
    notification_bytes,
    parse,
)
from http_mcp.jsonrpc import (
    Request as RPCRequest,
)

logger = logging.getLogger("http_mcp")

Handle = Callable[[Message, RequestContext], Awaitable[Reply | None]]
CANCELLED: Final = "notifications/cancelled"
_READ_AHEAD: Final = 16


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
    _in_flight: dict[RequestId, tuple[anyio.CancelScope, CancelFlag]] = field(default_factory=dict)

    async def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        lines_in, lines = anyio.create_memory_object_stream[tuple[bytes, bool]](math.inf)
        permits = threading.Semaphore(_READ_AHEAD)
        async with BlockingPortal() as portal, anyio.create_task_group() as group, lines:
            # A daemon thread, so that one blocked on a read that never ends does not keep
            # the process alive once the server is cancelled (Ctrl+C at an idle terminal).
            threading.Thread(
                target=_pump,
                args=(stdin, self.max_message_size, _Handover(portal, lines_in, permits)),
                name="http-mcp stdin",
                daemon=True,
            ).start()
            async for line, oversized in lines:
                permits.release()
                if oversized:
                    await self._write(stdout, _too_large(self.max_message_size))
                    continue
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

        async def notify(method: str, params: dict[str, Any]) -> None:
            await self._write(stdout, notification_bytes(method, params))

        context = RequestContext(
            request=stand_in_request(self.scopes, self.state), scopes=self.scopes, notify=notify
        )
        if not isinstance(message, RPCRequest):
            reply = await self.handle(message, context)
            if reply is not None:
                await self._write(stdout, reply.body)
            return
        with anyio.CancelScope() as scope:
            entry = (scope, context.cancelled)
            self._in_flight[message.id] = entry
            try:
                reply = await self.handle(message, context)
            finally:
                if self._in_flight.get(message.id) is entry:
                    del self._in_flight[message.id]
            if reply is not None:
                await self._write(stdout, reply.body)
        if scope.cancelled_caught:
            logger.debug("request %r cancelled by the client", message.id)

    def _cancel(self, request_id: Any) -> None:
        entry = self._in_flight.get(request_id) if isinstance(request_id, str | int) else None
        if entry is not None:
            scope, flag = entry
            flag.set()  # a sync tool in a worker thread cannot be interrupted: it checks this
            scope.cancel()

    async def _write(self, stdout: BinaryIO, body: bytes) -> None:
        # Written on the event loop's thread, with nothing awaited in between, so a frame is
        # never interleaved with another. A client that stops reading stalls the server; it
        # would stall it anyway, as every response waits to be written.
        _write_frame(stdout, body)


class _Handover:
    """Passes lines from the reading thread to the event loop, at most `_READ_AHEAD` ahead.

    Under asyncio a line is handed over without waiting for the loop to take it (the reader
    goes straight on to the next one); elsewhere through the portal, one line at a time.
    """

    def __init__(
        self,
        portal: BlockingPortal,
        lines: MemoryObjectSendStream[tuple[bytes, bool]],
        permits: threading.Semaphore,
    ) -> None:
        self._portal = portal
        self._lines = lines
        self._permits = permits
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def send(self, item: tuple[bytes, bool]) -> None:
        self._permits.acquire()
        if self._loop is None:
            self._portal.call(self._lines.send, item)
        else:
            self._loop.call_soon_threadsafe(self._send_soon, item)

    def _send_soon(self, item: tuple[bytes, bool]) -> None:
        try:
            self._lines.send_nowait(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            logger.debug("a line arrived after the server stopped reading")

    def close(self) -> None:
        if self._loop is None:
            self._portal.call(self._lines.aclose)
        else:
            self._loop.call_soon_threadsafe(self._lines.close)

    def abandon(self) -> None:
        self._lines.close()


def _pump(stdin: BinaryIO, limit: int, handover: _Handover) -> None:
    """Hand each line of `stdin` to the event loop, then close the stream at end of input."""
    reader, owned = _own_reader(stdin)
    try:
        for item in _lines_of(reader, limit):
            handover.send(item)
        handover.close()
    except (RuntimeError, CancelledError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        handover.abandon()  # the server stopped receiving: nothing else touches the stream now
        logger.debug("stopped reading stdin: the server is no longer running")
    finally:
        if owned:
            reader.close()


def _lines_of(reader: BinaryIO, limit: int) -> Iterator[tuple[bytes, bool]]:
    try:
        while True:
            line, oversized = _read_line(reader, limit)
            if not line and not oversized:
                return
            yield line, oversized
    except (OSError, ValueError) as exc:
        # A terminal hung up, or the stream was closed: treated as the end of input.
        logger.error("cannot read stdin any more (%s); finishing as at end of input", exc)


def _own_reader(stdin: BinaryIO) -> tuple[BinaryIO, bool]:
    """A reader of our own over the file behind `stdin`, when there is one.

    The reading thread can be left blocked when the server stops. It must not then hold the
    lock of an object the interpreter closes at exit, such as `sys.stdin.buffer`: that is a
    fatal error.
    """
    try:
        descriptor = stdin.fileno()
    except (OSError, ValueError):
        return stdin, False
    return os.fdopen(os.dup(descriptor), "rb"), True


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
