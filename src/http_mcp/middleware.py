"""Code that runs around every request: `MCPServer(middleware=[...])`.

A middleware is an async function taking the request (`MCPCall`, a read-only view) and
`call_next`, which answers it and returns the result:

```python
async def timing(call: MCPCall, call_next: CallNext) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        return await call_next()
    finally:
        print(call.method, call.target, time.perf_counter() - started)
```

The first middleware in the list is the outermost. A middleware may answer without calling
`call_next`: return a result, or raise `http_mcp.jsonrpc.JSONRPCError(code, message, data)`,
which the client receives as that JSON-RPC error. A protocol error from further in reaches the
middleware as a `JSONRPCError` raised by `call_next`; a tool's failure is a result with
`isError: true`. Any other exception is answered as an internal error and logged.

Scopes are applied first: middleware runs only for requests whose tool, prompt, resource or
completion reference the caller may see (any other is answered as unknown before the first
middleware), and the lists it sees hold only what the caller may see. Requests for unknown
methods, or methods the negotiated protocol revision lacks, never reach middleware either.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from starlette.authentication import BaseUser
from starlette.requests import Request as HTTPRequest

from http_mcp import _public
from http_mcp._call import Call, Handler, Result
from http_mcp._calls import check_visible
from http_mcp.jsonrpc import RequestId

__all__ = ["CallNext", "MCPCall", "Middleware"]

CallNext = Callable[[], Awaitable[dict[str, Any]]]
"""Answers the request (the next middleware, then the method) and returns its result."""


class MCPCall:
    """One request, as a middleware sees it: read-only.

    Attributes:
        method: The JSON-RPC method (`"tools/call"`).
        target: What it acts on: the tool or prompt name, the resource URI; else `None`.
        protocol_version: The MCP revision it is answered under (`"2026-07-28"`).
        request_id: The JSON-RPC request id.
        params: The request's params (read-only): a tool's arguments are in
            `params["arguments"]`.
        request: The HTTP request (its headers, `request.state`); under STDIO a stand-in.
        scopes: The caller's scopes.
    """

    __slots__ = ("_call", "method", "params", "protocol_version", "request_id", "target")

    def __init__(self, call: Call) -> None:
        self._call = call
        self.method: str = call.message.method
        self.target: Any = call.target
        self.protocol_version: str = call.version
        self.request_id: RequestId = call.message.id
        self.params: Mapping[str, Any] = MappingProxyType(call.message.params)

    def __repr__(self) -> str:
        return f"<MCPCall {self.method} {self.target!r} id={self.request_id!r}>"

    @property
    def request(self) -> HTTPRequest:
        """The HTTP request being answered; under STDIO a stand-in without network."""
        return self._call.request

    @property
    def scopes(self) -> frozenset[str]:
        """The caller's scopes."""
        return self._call.scopes

    @property
    def user(self) -> BaseUser | None:
        """The authenticated user (`request.user`), or `None` without authentication."""
        user = self._call.request.scope.get("user")
        return user if isinstance(user, BaseUser) else None


Middleware = Callable[[MCPCall, CallNext], Awaitable[dict[str, Any]]]
"""`async def middleware(call: MCPCall, call_next: CallNext) -> dict[str, Any]`."""


def check_middleware(middleware: object) -> tuple[Middleware, ...]:
    """The `middleware=` argument as a tuple, or a `TypeError` saying what is wrong."""
    if not isinstance(middleware, Sequence) or isinstance(middleware, str):
        raise TypeError("MCPServer middleware must be a sequence of async functions")
    for item in middleware:
        if not callable(item):
            raise TypeError(f"MCPServer middleware must hold async functions, got {item!r}")
    return tuple(middleware)


def chain(middleware: Sequence[Middleware]) -> Handler:
    """The handler that runs `middleware` around the method's own handler."""
    handler: Handler = _method_handler
    for item in reversed(middleware):
        handler = _step(item, handler)
    return _checked(handler)


async def _method_handler(call: Call) -> Result:
    return await call.method.handler(call)


def _checked(inner: Handler) -> Handler:
    async def run(call: Call) -> Result:
        check_visible(call)
        return await inner(call)

    return run


def _step(middleware: Middleware, inner: Handler) -> Handler:
    async def run(call: Call) -> Result:
        async def call_next() -> dict[str, Any]:
            result = await inner(call)
            return json.loads(result) if isinstance(result, bytes) else result

        result = await middleware(MCPCall(call), call_next)
        if not isinstance(result, dict):
            raise TypeError(f"middleware {middleware!r} returned {result!r}, not a dict")
        return result

    return run


_public.publish(__name__, globals(), __all__)
