"""The STDIO transport: newline-delimited JSON-RPC on stdin and stdout.

Each line is one message. Requests are answered concurrently, each response written whole on
its own line. `notifications/cancelled` cancels the matching request. At end of input the
requests in flight finish before `serve` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import stat
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping
from concurrent.futures import CancelledError
from contextlib import asynccontextmanager, contextmanager
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
    _in_flight: dict[RequestId, tuple[_Cancellable, CancelFlag]] = field(default_factory=dict)

    async def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        async with _request_group() as start, _read_lines(stdin, self.max_message_size) as lines:
            async for line, oversized in lines:
                if oversized:
                    await self._write(stdout, _too_large(self.max_message_size))
                    continue
                text = line.decode("utf-8", errors="replace").strip()
                if text:
                    start(self._answer(text, stdout))

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
        with _cancel_scope() as scope:
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


class _TaskScope:
    """A cancel scope over the current asyncio task: `cancel()` interrupts what the task is
    waiting for inside the `with` block, and the block swallows that cancellation."""

    __slots__ = ("_requested", "_task", "cancelled_caught")

    def __init__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._requested = False
        self.cancelled_caught = False

    def __enter__(self) -> _TaskScope:
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


_Cancellable = anyio.CancelScope | _TaskScope


@asynccontextmanager
async def _request_group() -> AsyncIterator[Callable[[Coroutine[Any, Any, None]], None]]:
    """Runs each request as a task of its own; on leaving, waits for those still running.

    Under asyncio these are plain tasks (an anyio task group costs several times as much per
    task, which shows when requests come one after another); leaving early cancels them.
    """
    if not _on_asyncio():
        async with anyio.create_task_group() as group:

            def start_soon(work: Coroutine[Any, Any, None]) -> None:
                async def run() -> None:
                    await work

                group.start_soon(run)

            yield start_soon
        return
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


def _cancel_scope() -> _Cancellable:
    """Lets the request running in the current task be cancelled from another."""
    return _TaskScope() if _on_asyncio() else anyio.CancelScope()


def _on_asyncio() -> bool:
    try:
        return asyncio.current_task() is not None
    except RuntimeError:
        return False


Line = tuple[bytes, bool]  # a line, and whether it was over the limit (then it is empty)


@asynccontextmanager
async def _read_lines(stdin: BinaryIO, limit: int) -> AsyncIterator[AsyncIterator[Line]]:
    """The lines of `stdin`, read at most `_READ_AHEAD` ahead of the server.

    A pipe or socket is read on the event loop itself (under asyncio); anything else (a
    regular file, a terminal, a stream without a file descriptor) by a thread of its own.
    """
    pipe = await _pipe_reader(stdin, limit)
    if pipe is not None:
        transport, lines, descriptor = pipe
        try:
            yield lines
        finally:
            transport.close()
            with contextlib.suppress(OSError):  # the file stays shared with other readers
                os.set_blocking(descriptor, True)
        return
    lines_in, lines_out = anyio.create_memory_object_stream[Line](math.inf)
    permits = threading.Semaphore(_READ_AHEAD)
    async with BlockingPortal() as portal, lines_out:
        # A daemon thread, so that one blocked on a read that never ends does not keep
        # the process alive once the server is cancelled (Ctrl+C at an idle terminal).
        threading.Thread(
            target=_pump,
            args=(stdin, limit, _Handover(portal, lines_in, permits)),
            name="http-mcp stdin",
            daemon=True,
        ).start()
        yield _released_each(lines_out, permits)


async def _released_each(
    lines: AsyncIterator[Line], permits: threading.Semaphore
) -> AsyncIterator[Line]:
    async for line in lines:
        permits.release()
        yield line


async def _pipe_reader(
    stdin: BinaryIO, limit: int
) -> tuple[asyncio.BaseTransport, _PipeLines, int] | None:
    """`stdin` read by the event loop, when it is a pipe or a socket and the loop is asyncio."""
    if not _on_asyncio():
        return None
    try:
        descriptor = stdin.fileno()
        kind = os.fstat(descriptor).st_mode
    except (OSError, ValueError):
        return None
    if not (stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind)):
        return None
    lines = _PipeLines(limit)
    reader = os.fdopen(os.dup(descriptor), "rb", buffering=0)
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(lambda: lines, reader)
    return transport, lines, descriptor


class _PipeLines(asyncio.Protocol):
    """Splits what the event loop reads from a pipe into lines of at most `limit` bytes.

    A longer line is reported once, as oversized, and skipped to its end. Reading pauses
    while `_READ_AHEAD` lines wait to be taken.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._partial = bytearray()
        self._skipping = False
        self._ready: deque[Line] = deque()
        self._ended = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._transport: asyncio.ReadTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.ReadTransport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._add(data[start : end + 1], complete=True)
            start = end + 1
        if start < len(data):
            self._add(data[start:], complete=False)
        if len(self._ready) >= _READ_AHEAD and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True
        self._wake()

    def _add(self, piece: bytes, complete: bool) -> None:
        if self._skipping:
            self._skipping = not complete
            return
        size = len(self._partial) + len(piece) - (1 if complete else 0)
        if size > self._limit:
            self._partial.clear()
            self._skipping = not complete
            self._ready.append((b"", True))
        elif complete:
            self._ready.append((bytes(self._partial) + piece, False))
            self._partial.clear()
        else:
            self._partial += piece

    def eof_received(self) -> bool:
        if self._partial:
            self._ready.append((bytes(self._partial), False))
            self._partial.clear()
        self._end()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            logger.error("cannot read stdin any more (%s); finishing as at end of input", exc)
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> _PipeLines:
        return self

    async def __anext__(self) -> Line:
        while not self._ready:
            if self._ended:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        line = self._ready.popleft()
        if self._paused and len(self._ready) < _READ_AHEAD and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        return line


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
