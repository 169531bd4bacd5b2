"""One HTTP exchange with an ASGI app, in process: a POST in, the whole response out.

What `http_mcp.testing` sends its requests through, and the catalogue page its lists. The
request is what a client would send over a socket (the same scope a server builds), and the
response is read the way a client reads it: JSON, or a `text/event-stream` whose events are the
request's notifications and then its response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Scope

CLIENT_ADDRESS = ("127.0.0.1", 50000)
SERVER_ADDRESS = ("127.0.0.1", 80)


class ResponseError(Exception):
    """The app answered with something that is not a JSON-RPC message.

    A 401 from an authentication middleware, a 404 for a path where nothing is mounted, a
    body that is not strict JSON. The status and the body are kept for assertions.

    Attributes:
        status_code: The HTTP status.
        headers: The response headers, names in lower case.
        text: The response body, decoded as UTF-8.
    """

    def __init__(self, reason: str, status_code: int, headers: dict[str, str], text: str) -> None:
        super().__init__(f"{reason} (HTTP {status_code}): {text[:200]!r}")
        self.status_code = status_code
        self.headers = headers
        self.text = text


@dataclass(frozen=True, slots=True)
class HTTPResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Answer:
    """A JSON-RPC answer, with the notifications that came before it on the same response."""

    status_code: int
    headers: dict[str, str]
    message: dict[str, Any] | None
    notifications: tuple[dict[str, Any], ...]


def http_scope(
    path: str, headers: Sequence[tuple[str, str]], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """The scope an ASGI server builds for a POST to `path` from a loopback client."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": CLIENT_ADDRESS,
        "server": SERVER_ADDRESS,
        **extra,
    }


async def post(app: ASGIApp, scope: dict[str, Any], body: bytes) -> HTTPResponse:
    """Send `body` to `app` and collect its whole response.

    Raises:
        RuntimeError: the app returned without starting a response.
    """
    start, answer = await exchange(app, scope, body)
    if start is None:
        raise RuntimeError("the application returned without starting a response")
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in start.get("headers", [])
    }
    return HTTPResponse(start["status"], headers, answer)


async def exchange(app: ASGIApp, scope: Scope, body: bytes) -> tuple[Message | None, bytes]:
    """Send `body` to `app`: the response's start message (`None`: it sent none) and body.

    The client stays connected until the response is complete; only then does `receive`
    report a disconnect, as a server does when the connection closes.
    """
    complete = anyio.Event()
    sent_body = False
    start: Message | None = None
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        else:
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    try:
        await app(scope, receive, send)
    finally:
        complete.set()
    return start, b"".join(chunks)


def read_answer(response: HTTPResponse) -> Answer:
    """The JSON-RPC answer a response carries, as JSON or as an event stream."""
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if response.status_code == 202 and not response.body:
        return Answer(202, response.headers, None, ())
    if media_type == "application/json":
        message = _json(response, response.body)
        if not _is_answer(message):
            raise _error("not a JSON-RPC response", response)
        return Answer(response.status_code, response.headers, message, ())
    if media_type == "text/event-stream":
        return _read_events(response)
    location = response.headers.get("location")
    if 300 <= response.status_code < 400 and location is not None:
        # A `Mount` answers its bare path with a redirect, which clients do not follow.
        raise _error(f"a redirect to {location!r}, not an MCP answer: mount with a Route", response)
    raise _error("not a JSON-RPC response", response)


def _read_events(response: HTTPResponse) -> Answer:
    notifications: list[dict[str, Any]] = []
    for event in response.text.replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(
            line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")
        )
        if not data:
            continue
        message = _json(response, data.encode())
        if _is_answer(message):
            return Answer(response.status_code, response.headers, message, tuple(notifications))
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            raise _error("an event that is not a JSON-RPC message", response)
        notifications.append(message)
    raise _error("an event stream that ended without a response", response)


def _json(response: HTTPResponse, data: bytes) -> Any:
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except ValueError:
        raise _error("a body that is not strict JSON", response) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_answer(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or "id" not in message:
        return False
    error = message.get("error")
    if error is not None:
        return isinstance(error, dict) and isinstance(error.get("code"), int)
    return isinstance(message.get("result"), dict)


def _error(reason: str, response: HTTPResponse) -> ResponseError:
    return ResponseError(reason, response.status_code, response.headers, response.text)
