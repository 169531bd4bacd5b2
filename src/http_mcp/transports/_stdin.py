"""Reading STDIO's input: one line at a time, at most a few lines ahead of the server.

A pipe or a socket is read on the event loop itself; anything else (a regular
file, a terminal, a stream without a file descriptor) by a thread of its own, which hands
each line to the loop. Either way a line over the size limit is reported once, as oversized,
and skipped to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import stat
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import BinaryIO, Final, cast

import anyio
from anyio.streams.memory import MemoryObjectSendStream

logger = logging.getLogger("http_mcp")

_READ_AHEAD: Final = 16


Line = tuple[bytes, bool]  # a line, and whether it was over the limit (then it is empty)


@asynccontextmanager
async def read_lines(stdin: BinaryIO, limit: int) -> AsyncIterator[AsyncIterator[Line]]:
    """The lines of `stdin`, read at most `_READ_AHEAD` ahead of the server.

    A pipe or socket is read on the event loop itself; anything else (a
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
    async with lines_out:
        # A daemon thread, so that one blocked on a read that never ends does not keep
        # the process alive once the server is cancelled (Ctrl+C at an idle terminal).
        threading.Thread(
            target=_pump,
            args=(stdin, limit, _Handover(asyncio.get_running_loop(), lines_in, permits)),
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
    """`stdin` read by the event loop, when it is a pipe or a socket."""
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
        # uvloop's read transports have the methods of `ReadTransport` without subclassing it.
        self._transport = cast(asyncio.ReadTransport, transport)

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

    A line is handed over without waiting for the loop to take it: the reader goes straight
    on to the next one.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        lines: MemoryObjectSendStream[tuple[bytes, bool]],
        permits: threading.Semaphore,
    ) -> None:
        self._loop = loop
        self._lines = lines
        self._permits = permits

    def send(self, item: tuple[bytes, bool]) -> None:
        self._permits.acquire()
        self._loop.call_soon_threadsafe(self._send_soon, item)

    def _send_soon(self, item: tuple[bytes, bool]) -> None:
        try:
            self._lines.send_nowait(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            logger.debug("a line arrived after the server stopped reading")

    def close(self) -> None:
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
    except (RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
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
