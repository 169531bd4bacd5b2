"""CORS for the origins the server accepts, so that a page on one of them can call it.

The origin check decides whether a request that carries an `Origin` is served at all. A
browser also needs to be told so before it lets the page read the answer: a preflight
(`OPTIONS` with `Access-Control-Request-Method`) is answered with what the page may send, and
every response to an accepted origin names that origin. A refused origin gets the refusal and
no grant. Credentials (cookies) are not granted: MCP clients authenticate with a header.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.types import Message, Scope, Send

_METHODS: Final = b"POST, GET, DELETE"
_EXPOSED: Final = b"Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate"
_MAX_AGE: Final = b"600"
_HEADER_LIST: Final = re.compile(
    rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*"
)


def is_preflight(scope: Scope) -> bool:
    """An `OPTIONS` request a browser sends before the real one."""
    return scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    )


async def answer_preflight(scope: Scope, origin: bytes, send: Send) -> None:
    """Grant an accepted origin the methods and the headers its request asked for."""
    requested = b""
    for name, value in scope["headers"]:
        if name == b"access-control-request-headers":
            requested = value.strip(b" \t")
            break
    headers = [
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-methods", _METHODS),
        (b"access-control-max-age", _MAX_AGE),
        (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        (b"content-length", b"0"),
    ]
    if requested and _HEADER_LIST.fullmatch(requested):
        headers.append((b"access-control-allow-headers", requested))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def granting(send: Send, origin: bytes) -> Send:
    """`send`, with the response to an accepted origin readable by its page."""
    granted = [
        (b"access-control-allow-origin", origin),
        (b"access-control-expose-headers", _EXPOSED),
        (b"vary", b"Origin"),
    ]

    async def send_granted(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *granted]}
        await send(message)

    return send_granted
