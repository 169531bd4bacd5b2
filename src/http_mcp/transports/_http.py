"""The Streamable HTTP transport: an ASGI app answering POSTs with JSON.

Checks what only HTTP knows (host, origin, method, content type, accept, size), turns the body
into a message, lets `MCPServer.handle` answer it and maps the JSON-RPC error code to a status.
At the handshake revisions a `GET` resumes a stream (`Last-Event-ID`, with `back_channel`) or
opens the stream of change notifications (with `notifications`); elsewhere it gets 405.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request
from starlette.types import Message as ASGIMessage
from starlette.types import Receive, Scope, Send

from http_mcp._channel import CancelFlag
from http_mcp._concurrency import until_disconnect
from http_mcp._context import Notify, Reply, RequestContext
from http_mcp._dispatch import METHODS
from http_mcp._protocol import HEADER_PROTOCOL_VERSION, LEGACY_VERSIONS, is_modern
from http_mcp._sessions import Sessions
from http_mcp._tasks import caller_digest
from http_mcp.exceptions import StoreUnavailableError
from http_mcp.jsonrpc import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    JSONRPCError,
    Message,
    Notification,
    error_bytes,
    parse,
)
from http_mcp.jsonrpc import Request as JSONRPCRequest
from http_mcp.jsonrpc import Response as JSONRPCResponse
from http_mcp.transports._cancels import call_key, cancelled_request
from http_mcp.transports._cors import answer_preflight, granting, is_preflight
from http_mcp.transports._headers import Headers
from http_mcp.transports._origin import OriginPolicy
from http_mcp.transports._replies import Replies
from http_mcp.transports._resume import ResumableStream, StreamLog, outliving_client
from http_mcp.transports._sse import ResponseStream

if TYPE_CHECKING:  # the server builds its app: a cycle at run time
    from http_mcp.server import MCPServer

logger = logging.getLogger("http_mcp")

_ALWAYS_400: Final = frozenset(
    {
        PARSE_ERROR,
        INVALID_REQUEST,
        HEADER_MISMATCH,
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        UNSUPPORTED_PROTOCOL_VERSION,
    }
)
_MODERN_STATUS: Final = {INVALID_PARAMS: 400, METHOD_NOT_FOUND: 404}
_DUPLICATE_TEXT: Final = "Header mismatch: a routing header appears more than once"
_UNKNOWN_SESSION: Final = (
    "Session not found: this Mcp-Session-Id was not issued by this server, or it has expired; "
    "initialize again (or send no Mcp-Session-Id)"
)
_NO_GET: Final = "Method not allowed: this MCP endpoint takes POST"

FollowChanges = Callable[[frozenset[str], Notify, Callable[[], Awaitable[None]]], Awaitable[None]]
"""Serves the handshake GET stream of changes: scopes, where to send them, and when ready."""


def http_status(error_code: int | None, modern: bool) -> int:
    """The HTTP status of a response with this JSON-RPC error code (`None`: a result)."""
    if error_code is None:
        return 200
    if error_code in _ALWAYS_400:
        return 400
    if modern:
        return _MODERN_STATUS.get(error_code, 200)
    return 200


class HTTPApp:
    """The ASGI app serving one `MCPServer` over Streamable HTTP: `MCPServer.app`.

    Mount it as a `Route` endpoint (`Route("/mcp", server.app)`).

    Attributes:
        server: The server it serves.
    """

    def __init__(
        self,
        server: MCPServer,
        max_message_size: int,
        *,
        allowed_hosts: Sequence[str] | None = None,
        allowed_origins: Sequence[str] | None = None,
        trust_forwarded_headers: bool = False,
        keepalive_s: float = 15.0,
        sessions: Sessions | None = None,
        back_channel_timeout_s: float = 60.0,
        streams: StreamLog | None = None,
        follow_changes: FollowChanges | None = None,
    ) -> None:
        self.server = server
        self._sessions = sessions
        self._replies = (
            None if sessions is None else Replies(lambda: server.store, back_channel_timeout_s)
        )
        self._keepalive_s = keepalive_s
        self._streams = streams
        self._follow_changes = follow_changes
        self._handle = server.handle
        self._max_message_size = max_message_size
        self._origin_policy = OriginPolicy(allowed_hosts, allowed_origins, trust_forwarded_headers)

    def __repr__(self) -> str:
        return f"<HTTPApp serving {self.server!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = Headers(scope["headers"])
        refused = self._origin_policy.refusal(scope, headers.host, headers.origin)
        if refused is not None:
            await _send(send, *refused)
            return
        if headers.origin is not None:  # an accepted origin: let its page read the answer
            if is_preflight(scope):
                await answer_preflight(scope, headers.origin, send)
                return
            send = granting(send, headers.origin)
        if scope["method"] == "GET" and (self._streams or self._follow_changes):
            await self._get(scope, receive, send, headers)
            return
        refusal = _refusal(scope["method"], headers, self._max_message_size)
        if refusal is not None:
            await _send(send, *refusal)
            return
        first = await receive()
        if first.get("more_body", False) or first["type"] != "http.request":
            body = await _read_body(first, receive, self._max_message_size)
        else:  # the usual case: the whole body in one message
            body = first.get("body", b"")
            if len(body) > self._max_message_size:
                body = None
        if body is None:
            await _send(send, *_too_large(self._max_message_size))
            return
        routing = headers.routing
        try:
            message = parse(body)
        except JSONRPCError as exc:
            version = routing.get(HEADER_PROTOCOL_VERSION)
            modern = version is not None and version not in LEGACY_VERSIONS
            status = 400 if headers.duplicate else http_status(exc.code, modern)
            await _send(send, status, exc.to_bytes())
            return
        if headers.duplicate:
            request_id = message.id if isinstance(message, JSONRPCRequest) else None
            await _send(send, 400, error_bytes(request_id, HEADER_MISMATCH, _DUPLICATE_TEXT))
            return
        await self._serve(message, headers, scope, receive, send)

    async def _serve(
        self, message: Message, headers: Headers, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer a parsed message that HTTP let through."""
        routing = headers.routing
        declared = None
        if self._sessions is not None and self._replies is not None:
            answered, declared = await _back_channel(
                self._sessions, self._replies, message, headers, scope, send
            )
            if answered:
                return
        if self._streams is not None and isinstance(message, Notification):
            await self._cancel(self._streams, scope, headers, message)
        method = METHODS.get(message.method) if isinstance(message, JSONRPCRequest) else None
        streams = method is not None and method.streams
        runs_user_code = method is not None and (method.runs_user_code or streams)
        stream: ResponseStream | None = None
        resumable: ResumableStream | None = None
        scopes = _scopes_of(scope)
        if runs_user_code and headers.accepts_sse:
            version = routing.get(HEADER_PROTOCOL_VERSION)
            log = None if streams else self._streams
            if (
                log is not None
                and isinstance(message, JSONRPCRequest)
                and not is_modern(message, version)
            ):
                owner = caller_digest(scope.get("user"), scopes)
                stream = resumable = log.stream(send, owner, message.id)
            else:
                stream = ResponseStream(send)
        context = RequestContext(  # by position: keywords cost more, once per request
            Request(scope, receive),
            scopes,
            routing.get(HEADER_PROTOCOL_VERSION),
            routing,
            None if stream is None else stream.notify,
            CancelFlag(),
            declared,
            None,  # ask: set below when the stream can carry requests
            None if resumable is None else resumable.close_stream,
        )
        if stream is not None and self._replies is not None:
            context.ask = self._replies.asker(stream, scope.get("user"), context.scopes)
        if not runs_user_code:
            reply = await self._handle(message, context)
            if reply is not None and self._sessions is not None:
                session = _issued(self._sessions, message, reply)
                if session is not None:
                    status = http_status(reply.error_code, reply.modern)
                    await _send(send, status, reply.body, [(b"mcp-session-id", session)])
                    return
        elif resumable is not None:
            work = self._handle(message, context)
            key = call_key(
                resumable.owner, headers.session_id, resumable.request_id, scope.get("user")
            )
            reply = await outliving_client(work, receive, resumable, context.cancelled, key)
            if reply is None:
                return
        else:
            work = self._handle(message, context)
            if streams and stream is not None:
                work = stream.kept_alive(work, self._keepalive_s)
            reply, connected = await until_disconnect(work, receive, context.cancelled)
            if not connected:
                return
        if reply is None:
            await _send(send, 202, b"")
        elif stream is not None and stream.started:
            await stream.finish(reply.body)
        else:
            await _send(send, http_status(reply.error_code, reply.modern), reply.body)

    async def _cancel(
        self, streams: StreamLog, scope: Scope, headers: Headers, message: Notification
    ) -> None:
        """Pass a handshake `notifications/cancelled` on to the call it names, on any replica."""
        if message.method != "notifications/cancelled" or is_modern(
            message, headers.routing.get(HEADER_PROTOCOL_VERSION)
        ):
            return
        request_id = cancelled_request(message.params)
        if request_id is None:
            return
        user = scope.get("user")
        key = call_key(_owner_of(scope), headers.session_id, request_id, user)
        if key is not None:
            await streams.cancels.cancel(key)

    async def _get(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """A resume (`Last-Event-ID`) or the stream of change notifications, at the handshake."""
        version = headers.routing.get(HEADER_PROTOCOL_VERSION)
        if version is not None and version not in LEGACY_VERSIONS:
            await _send(send, 405, _error(_NO_GET), [(b"allow", b"POST")])
            return
        if not (headers.accept_given and headers.accepts_sse):
            text = "Not acceptable: a GET stream needs Accept: text/event-stream"
            await _send(send, 406, _error(text))
            return
        if headers.last_event_id is not None and self._streams is not None:
            found = await self._streams.find(headers.last_event_id, _owner_of(scope))
            if isinstance(found, tuple):
                await _send(send, *found)
            else:
                await self._streams.replay(found, receive, send)
            return
        if self._follow_changes is None:
            await _send(send, 405, _error(_NO_GET), [(b"allow", b"POST")])
            return
        await self._serve_changes(self._follow_changes, _scopes_of(scope), receive, send)

    async def _serve_changes(
        self, follow: FollowChanges, scopes: frozenset[str], receive: Receive, send: Send
    ) -> None:
        stream = ResponseStream(send)

        async def ready() -> None:
            async with stream.lock:
                await stream.open()

        unavailable: list[StoreUnavailableError] = []

        async def changes() -> None:
            try:
                await follow(scopes, stream.notify, ready)
            except StoreUnavailableError as exc:  # raised before the stream opens
                unavailable.append(exc)

        work = stream.kept_alive(changes(), self._keepalive_s)
        _, connected = await until_disconnect(work, receive, CancelFlag())
        if unavailable:
            text = "Change notifications are unavailable: the server cannot reach its store"
            await _send(send, 503, error_bytes(None, INTERNAL_ERROR, text))
        elif connected:
            await stream.end()


async def _back_channel(
    sessions: Sessions,
    replies: Replies,
    message: Message,
    headers: Headers,
    scope: Scope,
    send: Send,
) -> tuple[bool, dict[str, Any] | None]:
    """Read a handshake request's session id, or take a client's answer (`back_channel`).

    Returns whether the message is answered, and what the session id says the client
    declared. At 2026-07-28 there is no session and no answer to take.
    """
    if is_modern(message, headers.routing.get(HEADER_PROTOCOL_VERSION)):
        return False, None
    declared = None
    if headers.session_id is not None:
        declared = sessions.open(headers.session_id.decode("latin-1"))
        if declared is None:
            request_id = message.id if isinstance(message, JSONRPCRequest) else None
            await _send(send, 404, error_bytes(request_id, INVALID_REQUEST, _UNKNOWN_SESSION))
            return True, None
    if isinstance(message, JSONRPCResponse):
        await _send(send, *await replies.accept(message, _owner_of(scope)))
        return True, None
    return False, None if declared is None else dict(declared)


Refusal = tuple[int, bytes, list[tuple[bytes, bytes]]]


def _issued(sessions: Sessions, message: Message, reply: Reply) -> bytes | None:
    """The `Mcp-Session-Id` answering a successful `initialize`, else `None`."""
    if reply.error_code is not None or not isinstance(message, JSONRPCRequest):
        return None
    if message.method != "initialize":
        return None
    return sessions.issue(message.params["capabilities"]).encode("ascii")


def _refusal(method: str, headers: Headers, limit: int) -> Refusal | None:
    """What HTTP alone refuses: the method, the content type, what is accepted, the size."""
    if method != "POST":
        return 405, error_bytes(None, INVALID_REQUEST, _NO_GET), [(b"allow", b"POST")]
    content_type = headers.content_type
    if content_type != b"application/json" and (
        content_type.split(b";", 1)[0].strip().lower() != b"application/json"
    ):
        return 415, _error("Unsupported media type: send Content-Type: application/json"), []
    if not headers.accepts_json:
        return 406, _error("Not acceptable: the Accept header must admit application/json"), []
    length = headers.length
    if length.isdigit() and int(length) > limit:
        return _too_large(limit)
    return None


def _too_large(limit: int) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    return 413, _error(f"Request body too large: the limit is {limit} bytes"), []


def _error(text: str) -> bytes:
    return error_bytes(None, INVALID_REQUEST, text)


async def _read_body(message: ASGIMessage, receive: Receive, limit: int) -> bytes | None:
    """The request body from `message` (the first) and those after it; `None`: over `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()


_NO_SCOPES: Final[frozenset[str]] = frozenset()
_JSON_TYPE: Final = (b"content-type", b"application/json")


def _owner_of(scope: Scope) -> str:
    """The digest binding streams, answers and cancels to the caller (as tasks are bound)."""
    return caller_digest(scope.get("user"), _scopes_of(scope))


def _scopes_of(scope: Scope) -> frozenset[str]:
    auth: Any = scope.get("auth")
    scopes = getattr(auth, "scopes", None)
    if not scopes:
        return _NO_SCOPES
    return frozenset(scopes)


async def _send(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-length", b"%d" % len(body))]
    if body:
        headers.append(_JSON_TYPE)
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _serve_lifespan(receive: Receive, send: Send) -> None:
    """Answer the lifespan protocol when the app is served on its own (`uvicorn mod:app`)."""
    while True:
        message: ASGIMessage = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
