"""The STDIO transport: newline-delimited JSON-RPC on stdin and stdout.

Each line is one message. Requests are answered concurrently, each response written whole on
its own line. `notifications/cancelled` cancels the matching request. At end of input the
requests in flight finish before `serve` returns.

At the handshake revisions the pipe is also the back channel: a tool or prompt returning
`InputRequired` has its requests written to stdout, and the client's answers, read from stdin,
are routed to the call waiting for them by request id. The capabilities the client declared
at `initialize` are remembered for the life of the pipe.
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

from http_mcp._back_channel import answer_of
from http_mcp._channel import CancelFlag
from http_mcp._concurrency import TaskScope, request_group
from http_mcp._context import Reply, RequestContext, stand_in_request
from http_mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    JSONRPCError,
    Message,
    Notification,
    RequestId,
    Response,
    error_bytes,
    notification_bytes,
    parse,
    request_bytes,
)
from http_mcp.jsonrpc import (
    Request as RPCRequest,
)
from http_mcp.transports._stdin import read_lines

logger = logging.getLogger("http_mcp")

Handle = Callable[[Message, RequestContext], Awaitable[Reply | None]]
CANCELLED: Final = "notifications/cancelled"


@dataclass
class StdioSession:
    """One run over a pair of streams. Holds only what is in flight on this pipe."""

    handle: Handle
    scopes: frozenset[str]
    state: Mapping[str, Any]
    max_message_size: int
    on_input_end: Callable[[], None] = lambda: None
    _in_flight: dict[RequestId, tuple[TaskScope, CancelFlag]] = field(default_factory=dict)
    _declared: Mapping[str, Any] | None = None
    _waiting: dict[str, _Waiting] = field(default_factory=dict)
    _asked: int = 0
    _input_ended: bool = False

    async def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        async with request_group() as start, read_lines(stdin, self.max_message_size) as lines:
            async for line, oversized in lines:
                if oversized:
                    await self._write(stdout, _too_large(self.max_message_size))
                    continue
                text = line.decode("utf-8", errors="replace").strip()
                if text:
                    start(self._answer(text, stdout))
            self.on_input_end()  # long-lived streams end, so the requests in flight finish
            self._end_asking()

    async def _answer(self, text: str, stdout: BinaryIO) -> None:
        try:
            message = parse(text)
        except JSONRPCError as exc:
            await self._write(stdout, exc.to_bytes())
            return
        if isinstance(message, Notification) and message.method == CANCELLED:
            self._cancel(message.params.get("requestId"))
        if isinstance(message, Response):
            self._deliver(message)
            return
        if isinstance(message, RPCRequest) and message.method == "initialize":
            declared = message.params.get("capabilities")
            if isinstance(declared, dict):
                self._declared = declared

        async def notify(method: str, params: dict[str, Any]) -> None:
            await self._write(stdout, notification_bytes(method, params))

        async def ask(method: str, params: dict[str, Any]) -> dict[str, Any]:
            return await self._ask(stdout, method, params)

        context = RequestContext(
            request=stand_in_request(self.scopes, self.state),
            scopes=self.scopes,
            notify=notify,
            client_capabilities=self._declared,
            ask=ask,
        )
        if not isinstance(message, RPCRequest):
            reply = await self.handle(message, context)
            if reply is not None:
                await self._write(stdout, reply.body)
            return
        with TaskScope() as scope:
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

    async def _ask(self, stdout: BinaryIO, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._input_ended:
            raise JSONRPCError(INTERNAL_ERROR, _INPUT_ENDED)
        self._asked += 1
        request_id = f"srv-{self._asked}"
        waiting = self._waiting[request_id] = _Waiting()
        try:
            await self._write(stdout, request_bytes(request_id, method, params))
            await waiting.arrived.wait()
        finally:
            self._waiting.pop(request_id, None)
        answer = waiting.answer
        return answer_of(answer.result, answer.error)

    def _deliver(self, response: Response) -> None:
        key = response.id if isinstance(response.id, str) else None
        waiting = None if key is None else self._waiting.pop(key, None)
        if waiting is None:
            logger.warning(
                "dropped a response to %s: no request of the server's waits for it",
                repr(response.id)[:60],
            )
            return
        waiting.answer = response
        waiting.arrived.set()

    def _end_asking(self) -> None:
        """No answer can come any more: the calls waiting for one end now."""
        self._input_ended = True
        for waiting in self._waiting.values():
            waiting.answer = Response(None, error={"code": INTERNAL_ERROR, "message": _INPUT_ENDED})
            waiting.arrived.set()

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


_INPUT_ENDED: Final = "the client closed its input before answering"


class _Waiting:
    """A request of the server's waiting for the client's answer."""

    __slots__ = ("answer", "arrived")

    def __init__(self) -> None:
        self.arrived = anyio.Event()
        self.answer = Response(None)


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
