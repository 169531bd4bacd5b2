"""The ASGI guard in front of a protected MCP endpoint.

It runs after `AuthenticationMiddleware`: it answers 401 to a caller without a token, 403 to
one whose token lacks the server-wide scopes or (in challenge mode) the scopes of the tool or
prompt it calls, and passes everything else on without the `Authorization` header, so that no
tool can read the token and forward it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from http_mcp.auth._challenge import Challenger
from http_mcp.jsonrpc import JSONRPCError, Request, parse

# method -> item name -> the scopes the item needs
ScopedItems = Mapping[str, Mapping[str, frozenset[str]]]


class Gate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        challenger: Challenger,
        required_scopes: tuple[str, ...],
        challenged_items: ScopedItems | None,
        max_body: int,
    ) -> None:
        self.app = app
        self._challenger = challenger
        self._required = required_scopes
        self._items = challenged_items
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            await self._challenger.unauthorized()(scope, receive, send)
            return
        granted = frozenset(getattr(scope.get("auth"), "scopes", ()))
        inner = {**scope, "headers": [h for h in scope["headers"] if h[0] != b"authorization"]}
        lacks_required = not granted.issuperset(self._required)
        if not lacks_required and (self._items is None or scope["method"] != "POST"):
            await self.app(inner, receive, send)
            return
        messages, body = await _buffer(receive, self._max_body)
        replay = _replay(messages, receive)
        message = _parse(body)
        needed = self._needed(message)
        if not granted.issuperset(needed):
            request_id = message.id if message is not None else None
            await self._challenger.forbidden(needed, request_id)(inner, replay, send)
            return
        await self.app(inner, replay, send)

    def _needed(self, message: Request | None) -> tuple[str, ...]:
        needed = list(self._required)
        if self._items is not None and message is not None:
            name = message.params.get("name")
            items = self._items.get(message.method, {})
            extra = items.get(name, frozenset()) if isinstance(name, str) else frozenset()
            needed.extend(sorted(extra - set(needed)))
        return tuple(needed)


async def _buffer(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """Read the body up to `limit` bytes: the messages read, and the body if it was whole."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _parse(body: bytes | None) -> Request | None:
    if not body:
        return None
    try:
        message: Any = parse(body)
    except JSONRPCError:
        return None
    return message if isinstance(message, Request) else None
