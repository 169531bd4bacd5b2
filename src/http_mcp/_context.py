"""What a transport tells the dispatcher about one request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from http_mcp._channel import CancelFlag, Notify


@dataclass(slots=True)
class RequestContext:
    """One incoming message's surroundings.

    Attributes:
        request: The Starlette request (a stand-in on transports without HTTP).
        scopes: What the caller is allowed to see and call.
        header_version: The `MCP-Protocol-Version` header, when the transport has headers.
        routing_headers: Lowercase HTTP headers to check against the body at 2026-07-28, or
            `None` on a transport without headers.
        notify: Sends a notification on this request's response, or `None` where the
            response cannot carry any.
        cancelled: Set by the transport when the client goes away or cancels.
    """

    request: Request
    scopes: frozenset[str]
    header_version: str | None = None
    routing_headers: Mapping[str, str] | None = None
    notify: Notify | None = None
    cancelled: CancelFlag = field(default_factory=CancelFlag)


@dataclass(slots=True)
class Reply:
    """A serialized JSON-RPC response and what a transport needs to frame it."""

    body: bytes
    error_code: int | None = None
    modern: bool = False
