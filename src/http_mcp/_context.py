"""The public seam between a transport and `MCPServer.handle`: `RequestContext` in, `Reply` out.

Exported from `http_mcp.transports`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.authentication import AuthCredentials, SimpleUser, UnauthenticatedUser
from starlette.requests import Request

from http_mcp._channel import CancelFlag

Notify = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Sends one notification (`method`, `params`) to the client, ahead of the response."""

Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Sends one request (`method`, `params`) to the client and returns the result it answers.

Raises `JSONRPCError` when the client answers with an error. The server bounds the wait.
"""


@dataclass(slots=True)
class RequestContext:
    """What a transport knows about one incoming message, for `MCPServer.handle`.

    Only `scopes` matters to most transports; the rest has defaults for a transport without
    HTTP headers, streaming or cancellation.

    Attributes:
        request: The Starlette request tools see as `Arguments.request`. `None`: a stand-in
            carrying `scopes` (no network, empty lifespan state).
        scopes: What the caller may see and call.
        protocol_version: The `MCP-Protocol-Version` header, on a transport with headers.
        headers: The MCP routing headers by lower-case name (`mcp-protocol-version`,
            `mcp-method`, `mcp-name`, `mcp-param-*`), checked against the body at
            2026-07-28; `None` on a transport without headers, where nothing is checked.
        notify: Sends a notification ahead of the response (progress, log messages);
            `None` where the response cannot carry any.
        cancelled: Set it when the client goes away or cancels: a running sync tool sees it
            through `Arguments.cancelled`. Interrupting async work is the transport's part
            (cancel the task awaiting `handle`).
        client_capabilities: At the handshake revisions, the capabilities the client declared
            at `initialize`, when the transport remembers them (over HTTP they travel in the
            `Mcp-Session-Id`; a STDIO pipe keeps them). `None`: unknown. Ignored at
            2026-07-28, where each request declares its own.
        ask: Sends a request to the client mid-call and waits for its answer (`Ask`), for
            the handshake revisions: a tool or prompt returning `InputRequired` there has
            its requests sent with it (those whose capability is in `client_capabilities`)
            and runs again with the answers. `None`: the transport cannot ask, and such a
            call ends with an error saying so. Never used at 2026-07-28.
        close_stream: Ends the response's event stream before the result, so that the client
            reconnects and resumes it (`Arguments.close_stream`); `None` where streams are not
            resumable.

    Example:
        ```python
        context = RequestContext(scopes=frozenset({"mcp:read"}), notify=send_line)
        reply = await server.handle(jsonrpc.parse(line), context)
        ```
    """

    request: Request | None = None
    scopes: frozenset[str] = frozenset()
    protocol_version: str | None = None
    headers: Mapping[str, str] | None = None
    notify: Notify | None = None
    cancelled: CancelFlag = field(default_factory=CancelFlag)
    client_capabilities: Mapping[str, Any] | None = None
    ask: Ask | None = None
    close_stream: Callable[[], Awaitable[None]] | None = None

    @property
    def http_request(self) -> Request:
        """`request`, or a stand-in carrying the scopes when there is none."""
        request = self.request
        return request if request is not None else stand_in_request(self.scopes, {})


@dataclass(slots=True)
class Reply:
    """One serialized JSON-RPC response, and what a transport needs to frame it.

    Attributes:
        body: The response object as JSON bytes, ready to send.
        error_code: The JSON-RPC error code when `body` is an error response, else `None`.
        modern: Whether it was answered under the 2026-07-28 rules (which map some errors
            to other HTTP statuses; see `http_status`).
    """

    body: bytes
    error_code: int | None = None
    modern: bool = False


def stand_in_request(scopes: frozenset[str], state: Mapping[str, Any]) -> Request:
    """The `Request` a tool sees without HTTP: no network, the given scopes and state."""
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
