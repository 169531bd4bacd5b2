"""Resumable event streams at the handshake revisions: the running call's log, and the resume.

With `MCPServer(back_channel=True)`, a response that becomes an event stream at a handshake
revision (2025-11-25 and older) is also written to the store: a priming event first (an id and
a `retry:` field, no data), then every message, and last the response, each with an event id
`{streamId}/{entry}` that no other stream on any replica shares. A client whose stream broke
sends `GET` with `Last-Event-ID` to any replica and receives what it missed, then the rest.

What the store holds for one stream (`streamId` is random and unguessable):

- key `stream:{id}`: the owner (a digest of the caller) and the request id, kept for the TTL;
- key `stream:{id}:lease`: held by the replica running the call, renewed every third of it;
  a resume that finds neither the lease nor the response ends with an error response;
- log `stream:{id}`: the events, `P` (priming), `M` + a message, `F` + the response.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import anyio
from starlette.types import Receive, Send

from http_mcp._channel import CancelFlag
from http_mcp._concurrency import until_disconnect
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, RequestId, error_bytes
from http_mcp.stores import Store
from http_mcp.transports._cancels import Cancels, Key
from http_mcp.transports._sse import SSE_HEADERS, ResponseStream, event

logger = logging.getLogger("http_mcp")

T = TypeVar("T")

RETRY_MS: Final = 1000
"""How long a client waits before it reconnects (the priming event's `retry:` field)."""
MAX_EVENTS: Final = 10_000
"""The newest events of one stream that are kept; older ones are dropped first."""
KEEPALIVE_MS: Final = 15_000
PRIMING: Final = b"P"
MESSAGE: Final = b"M"
FINAL: Final = b"F"
RUNNER_LOST: Final = (
    "The server running this request stopped before it finished; its result is lost."
)
UNATTENDED: Final = (
    "The request was stopped: its client went away and nobody resumed its stream in time."
)
CANCELLED: Final = "The request was cancelled by the client."
_EVENT_ID: Final = re.compile(rb"([A-Za-z0-9_-]{16,64})/([0-9]{1,20}-[0-9]{1,20})")
_UNKNOWN: Final = "Unknown or expired stream: there is nothing to resume for this Last-Event-ID"

Refusal = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class Resumed:
    """A resume the store agreed to: which stream, from where, for which request."""

    stream_id: str
    after: str
    request_id: RequestId


class StreamLog:
    """Where a server keeps its resumable streams, for how long, and its lease on them.

    Attributes:
        store: Returns the server's store.
        ttl_ms: How long a stream's events stay readable after its last one.
        lease_ms: How soon a resume learns that the replica running the call stopped.
        cancels: The calls a `notifications/cancelled` may stop, here and elsewhere.
    """

    __slots__ = ("cancels", "lease_ms", "store", "ttl_ms")

    def __init__(self, store: Callable[[], Store], ttl_ms: int, lease_ms: int) -> None:
        self.store = store
        self.ttl_ms = ttl_ms
        self.lease_ms = lease_ms
        self.cancels = Cancels(store)

    def stream(self, send: Send, owner: str, request_id: RequestId) -> ResumableStream:
        """The response stream of one call, logged once it starts."""
        return ResumableStream(send, self, owner, request_id)

    async def find(self, last_event_id: bytes, owner: str) -> Resumed | Refusal:
        """The stream a `Last-Event-ID` names, if it is the caller's; else the refusal."""
        match = _EVENT_ID.fullmatch(last_event_id.strip())
        if match is None:
            text = "Malformed Last-Event-ID: send the id of the last event received"
            return 400, error_bytes(None, INVALID_REQUEST, text)
        stream_id, after = match.group(1).decode(), match.group(2).decode()
        try:
            raw = await self.store().get(meta_key(stream_id))
        except StoreUnavailableError:
            text = "Streams cannot be resumed now: the server cannot reach its store"
            return 503, error_bytes(None, INTERNAL_ERROR, text)
        meta = None if raw is None else json.loads(raw)
        if meta is None or not secrets.compare_digest(meta["owner"], owner):
            return 404, error_bytes(None, INVALID_REQUEST, _UNKNOWN)
        return Resumed(stream_id, after, meta["id"])

    async def replay(self, resumed: Resumed, receive: Receive, send: Send) -> None:
        """Answer a resume: the events after its id, then the rest as they come, then the end."""
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        _, connected = await until_disconnect(self._replay(resumed, send), receive, CancelFlag())
        if connected:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _replay(self, resumed: Resumed, send: Send) -> None:
        store, after = self.store(), resumed.after
        wait_ms = max(min(self.lease_ms // 2, KEEPALIVE_MS), 1)
        log = log_name(resumed.stream_id)
        try:
            while True:
                entries = await store.read_after(log, after, block_ms=wait_ms)
                if not entries and await store.get(lease_key(resumed.stream_id)) is None:
                    # The runner appends the response before it lets the lease go.
                    entries = await store.read_after(log, after)
                    if not entries and await self._ended(resumed.stream_id):
                        return  # the client already had the response: nothing follows it
                    if not entries:  # pragma: no cover - a replica died (replica tests)
                        body = error_bytes(resumed.request_id, INTERNAL_ERROR, RUNNER_LOST)
                        await _send_body(send, event(body))
                        return
                if not entries:
                    await _send_body(send, b": keep-alive\n\n")
                for entry_id, entry in entries:
                    after = entry_id
                    if entry[:1] == PRIMING:
                        continue
                    await _send_body(send, event(entry[1:], f"{resumed.stream_id}/{entry_id}"))
                    if entry[:1] == FINAL:
                        return
        except StoreUnavailableError:
            logger.warning("a resumed stream ended early: the store cannot be reached")

    async def _ended(self, stream_id: str) -> bool:
        """Whether the stream's runner kept its final response in the log."""
        raw = await self.store().get(meta_key(stream_id))
        return raw is not None and bool(json.loads(raw).get("done"))


class ResumableStream(ResponseStream):
    """A call's response stream that is also written to the store, to be resumed anywhere."""

    __slots__ = ("_final_kept", "_keeper", "_log", "detached", "owner", "request_id", "stream_id")

    def __init__(self, send: Send, log: StreamLog, owner: str, request_id: RequestId) -> None:
        super().__init__(send)
        self._log = log
        self.owner = owner
        self.request_id = request_id
        self._keeper: asyncio.Task[None] | None = None
        self.stream_id: str | None = None
        self.detached = False
        self._final_kept = False

    @property
    def cancels(self) -> Cancels:
        """The calls of this process that `notifications/cancelled` may stop."""
        return self._log.cancels

    @property
    def ttl_s(self) -> float:
        """How long its events stay readable: how long a call may outlive its client."""
        return self._log.ttl_ms / 1000

    async def send_message(self, message: bytes) -> None:
        async with self.lock:
            await self.open()
            await self._write(MESSAGE, message, final=False)

    async def open(self) -> None:
        if self.started:
            return
        self.started = True
        if not self.detached:
            await self._send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        try:
            await self._begin()
        except StoreUnavailableError:
            logger.warning("a response stream is not resumable: the store cannot be reached")

    async def _begin(self) -> None:
        stream_id = secrets.token_urlsafe(18)
        store, log = self._log.store(), self._log
        await store.put(lease_key(stream_id), b"1", ttl_ms=log.lease_ms)
        await store.put(meta_key(stream_id), self._meta(), ttl_ms=log.ttl_ms)
        self.stream_id = stream_id
        self._keeper = asyncio.create_task(self._keep_lease(stream_id))
        await log.cancels.listen()
        entry = await store.append(
            log_name(stream_id), PRIMING, ttl_ms=log.ttl_ms, max_len=MAX_EVENTS
        )
        priming = f"id: {stream_id}/{entry}\nretry: {RETRY_MS}\ndata: \n\n".encode()
        await self._deliver(priming, more=True)

    async def finish(self, body: bytes) -> None:
        async with self.lock:
            await self._write(FINAL, body, final=True)
            await self._release()

    async def close_stream(self) -> None:
        """End the response here, before the result, so that the client resumes with GET."""
        async with self.lock:
            if self.detached:
                return
            await self.open()
            if self.stream_id is not None:  # else the result could not be resumed: keep it
                await self._deliver(b"", more=False)
                self.detached = True

    def detach(self) -> None:
        """The client went away: keep logging, stop sending."""
        self.detached = True

    async def abandon(self, reason: str) -> None:
        """End a call that will not answer with an error response, for its client or resumers."""
        body = error_bytes(self.request_id, INTERNAL_ERROR, reason)
        with anyio.CancelScope(shield=True):
            if self.started:
                await self.finish(body)
            elif not self.detached:
                headers = [(b"content-type", b"application/json")]
                await self._send({"type": "http.response.start", "status": 200, "headers": headers})
                await self._send({"type": "http.response.body", "body": body})

    async def _write(self, kind: bytes, message: bytes, *, final: bool) -> None:
        event_id = None
        if self.stream_id is not None:
            try:
                entry = await self._log.store().append(
                    log_name(self.stream_id),
                    kind + message,
                    ttl_ms=self._log.ttl_ms,
                    max_len=MAX_EVENTS,
                )
                event_id = f"{self.stream_id}/{entry}"
                self._final_kept = final
            except StoreUnavailableError:
                logger.warning("an event could not be kept for resuming: the store is away")
        await self._deliver(event(message, event_id), more=not final)
        if final:
            self.detached = True

    async def _deliver(self, body: bytes, *, more: bool) -> None:
        if not self.detached:
            await self._send({"type": "http.response.body", "body": body, "more_body": more})

    def _meta(self) -> bytes:
        # `done`: the final response is in the log, so a resume finding nothing after its
        # id has had everything (and is not told the runner stopped).
        meta = {"owner": self.owner, "id": self.request_id, "done": self._final_kept}
        return json.dumps(meta).encode()

    async def _keep_lease(self, stream_id: str) -> None:
        store, log = self._log.store(), self._log
        while True:
            await asyncio.sleep(log.lease_ms / 3000)
            with contextlib.suppress(StoreUnavailableError):
                await store.put(lease_key(stream_id), b"1", ttl_ms=log.lease_ms)
                await store.put(meta_key(stream_id), self._meta(), ttl_ms=log.ttl_ms)

    async def _release(self) -> None:
        if self._keeper is None or self.stream_id is None:
            return
        self._keeper.cancel()
        self._keeper = None
        store = self._log.store()
        with contextlib.suppress(StoreUnavailableError):
            await store.put(meta_key(self.stream_id), self._meta(), ttl_ms=self._log.ttl_ms)
            await store.delete(lease_key(self.stream_id))


async def outliving_client(
    work: Coroutine[Any, Any, T],
    receive: Receive,
    stream: ResumableStream,
    cancelled: CancelFlag,
    key: Key | None,
) -> T | None:
    """Run `work` to its end even if the client goes away; `None` when it had to be stopped.

    A disconnect is not a cancellation at the handshake revisions: the call goes on, and its
    events stay resumable. `notifications/cancelled` for `key` stops it (if there is a key).
    A call whose client left is stopped one stream TTL later (its events would have expired by
    then). A stopped call ends with an error response, for its client or for whoever resumes
    it.
    """
    done: list[T] = []
    reason: list[str] = []
    with anyio.CancelScope() as scope:

        def stop(why: str = CANCELLED) -> None:
            reason.append(why)
            cancelled.set()
            scope.cancel()

        with stream.cancels.running(key, stop):
            async with anyio.create_task_group() as group:
                group.start_soon(_stop_when_left, receive, stream, stop)
                done.append(await work)
                group.cancel_scope.cancel()
    if done:
        return done[0]
    await stream.abandon(reason[0] if reason else UNATTENDED)
    return None


async def _stop_when_left(
    receive: Receive, stream: ResumableStream, stop: Callable[[str], None]
) -> None:
    while (await receive())["type"] != "http.disconnect":  # pragma: no branch
        pass  # pragma: no cover - servers send only the disconnect once the body is read
    stream.detach()
    await anyio.sleep(stream.ttl_s)
    stop(UNATTENDED)


async def _send_body(send: Send, body: bytes) -> None:
    await send({"type": "http.response.body", "body": body, "more_body": True})


def meta_key(stream_id: str) -> str:
    return f"stream:{stream_id}"


def lease_key(stream_id: str) -> str:
    return f"stream:{stream_id}:lease"


def log_name(stream_id: str) -> str:
    return f"stream:{stream_id}"
