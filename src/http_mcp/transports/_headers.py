"""Reading the request headers the HTTP transport needs, in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from http_mcp._protocol import HEADER_METHOD, HEADER_NAME, HEADER_PROTOCOL_VERSION

_ROUTING_HEADERS: Final = (
    HEADER_PROTOCOL_VERSION.encode(),
    HEADER_METHOD.encode(),
    HEADER_NAME.encode(),
)
_ROUTING_KEYS: Final = {name: name.decode("latin-1") for name in _ROUTING_HEADERS}
_JSON_TYPES: Final = (b"application/json", b"application/*", b"*/*")
_SSE_TYPES: Final = (b"text/event-stream", b"text/*", b"*/*")


# What `Headers` looks for, by lower-case name.
_HOST, _ORIGIN, _CONTENT_TYPE, _ACCEPT, _LENGTH, _ROUTING, _SESSION, _LAST_EVENT_ID = range(8)
_WANTED: Final = {
    b"host": _HOST,
    b"origin": _ORIGIN,
    b"content-type": _CONTENT_TYPE,
    b"accept": _ACCEPT,
    b"content-length": _LENGTH,
    b"mcp-session-id": _SESSION,
    b"last-event-id": _LAST_EVENT_ID,
    **dict.fromkeys(_ROUTING_HEADERS, _ROUTING),
}


class Headers:
    """The request headers this transport reads, found in one pass.

    `host` and `origin` join repeated values with commas, and so does `Accept` before it is
    read into `accepts_json` and `accepts_sse`; `routing` holds the MCP routing and
    `Mcp-Param-*` headers by lower-case name, and `duplicate` says whether one of them came
    twice. `session_id` is the `Mcp-Session-Id` (the last one, if repeated).
    `accept_given` says whether there was an `Accept` header; `last_event_id` is the
    `Last-Event-ID` of a resuming `GET`.
    """

    __slots__ = (
        "accept_given",
        "accepts_json",
        "accepts_sse",
        "content_type",
        "duplicate",
        "host",
        "last_event_id",
        "length",
        "origin",
        "routing",
        "session_id",
    )

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        host = origin = accept = session_id = last_event_id = None
        content_type = length = b""
        routing: dict[str, str] = {}
        duplicate = False
        for name, value in raw:
            kind = _WANTED.get(name)
            if kind is None:
                if not name.startswith(b"mcp-param-"):
                    continue
                kind = _ROUTING
            if kind == _ROUTING:
                key = _ROUTING_KEYS.get(name) or name.decode("latin-1")
                duplicate = duplicate or key in routing
                routing[key] = value.decode("latin-1").strip(" \t")
            elif kind == _HOST:
                host = value if host is None else host + b"," + value
            elif kind == _ORIGIN:
                origin = value if origin is None else origin + b"," + value
            elif kind == _CONTENT_TYPE:
                content_type = value
            elif kind == _ACCEPT:
                accept = value if accept is None else accept + b"," + value
            elif kind == _SESSION:
                session_id = value
            elif kind == _LENGTH:
                length = value
            else:
                last_event_id = value
        self.host: bytes | None = host
        self.origin: bytes | None = origin
        self.content_type: bytes = content_type
        # No Accept header admits both.
        self.accepts_json, self.accepts_sse = (True, True) if accept is None else _accepted(accept)
        self.length: bytes = length
        self.accept_given = accept is not None
        self.last_event_id: bytes | None = last_event_id
        self.routing = routing
        self.duplicate = duplicate
        self.session_id: bytes | None = session_id


_ACCEPTED: dict[bytes, tuple[bool, bool]] = {}


def _accepted(accept: bytes) -> tuple[bool, bool]:
    """Whether `accept` admits JSON and an event stream; remembered, clients repeat theirs."""
    known = _ACCEPTED.get(accept)
    if known is None:
        known = (_admits(accept, _JSON_TYPES), _admits(accept, _SSE_TYPES))
        if len(_ACCEPTED) >= 256:
            _ACCEPTED.clear()
        _ACCEPTED[accept] = known
    return known


def _admits(accept: bytes, types: tuple[bytes, ...]) -> bool:
    for item in accept.split(b","):
        media, *params = item.split(b";")
        if media.strip().lower() in types and _quality(params) > 0:
            return True
    return False


def _quality(params: list[bytes]) -> float:
    for param in params:
        name, _, value = param.partition(b"=")
        if name.strip().lower() == b"q":
            try:
                return float(value.strip())
            except ValueError:
                return 1.0
    return 1.0
