"""What the caller of the catalog page can see, asked of the MCP endpoint itself.

Each list is fetched with real JSON-RPC requests sent through the endpoint's ASGI app with the
page request's own scope (its `auth`, `user`, headers and host), so scope filtering and the
Host and Origin checks apply to the page exactly as they apply to an MCP client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.types import ASGIApp, Scope

from http_mcp._testing_asgi import exchange
from http_mcp.jsonrpc import METHOD_NOT_FOUND

PROTOCOL_VERSION: Final = "2025-11-25"
MAX_PAGES: Final = 1000
# list method -> (capability that announces it, key its items travel under)
LISTS: Final = {
    "tools/list": ("tools", "tools"),
    "prompts/list": ("prompts", "prompts"),
    "resources/list": ("resources", "resources"),
    "resources/templates/list": ("resources", "resourceTemplates"),
}
# Request headers replaced by the ones an MCP POST carries.
_REPLACED: Final = frozenset(
    {b"content-type", b"content-length", b"accept", b"transfer-encoding", b"expect"}
)


class RefusedError(Exception):
    """The endpoint did not answer a list: its HTTP status and why, for the page's answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Listing:
    """The server's identity and every item the caller may see, as the endpoint lists them."""

    server_info: Mapping[str, Any]
    instructions: str | None
    items: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


async def fetch_listing(app: ASGIApp, scope: Scope, path: str) -> Listing:
    """Ask `app` (served at `path`) what the caller of `scope` sees.

    Raises:
        RefusedError: the endpoint answered with an HTTP error (a refused host or origin, a
            missing token) or a JSON-RPC error other than an unknown list method.
    """
    endpoint = _Endpoint(app, scope, path)
    init = await endpoint.request(
        "initialize",
        {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "http-mcp catalog page", "version": "1"},
        },
    )
    if init is None or not isinstance(init.get("serverInfo"), dict):
        raise RefusedError(502, "The MCP endpoint did not describe itself")
    capabilities = init.get("capabilities")
    announced = capabilities if isinstance(capabilities, dict) else {}
    items: dict[str, list[Mapping[str, Any]]] = {}
    for method, (capability, key) in LISTS.items():
        items[key] = await endpoint.all_pages(method, key) if capability in announced else []
    instructions = init.get("instructions")
    return Listing(
        server_info=init["serverInfo"],
        instructions=instructions if isinstance(instructions, str) else None,
        items=items,
    )


class _Endpoint:
    """Sends JSON-RPC requests to one ASGI app as the caller of one page request."""

    def __init__(self, app: ASGIApp, scope: Scope, path: str) -> None:
        self._app = app
        kept = [(k, v) for k, v in scope["headers"] if k not in _REPLACED]
        kept = [(k, v) for k, v in kept if not k.startswith(b"mcp-")]
        self._headers = [
            *kept,
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"mcp-protocol-version", PROTOCOL_VERSION.encode()),
        ]
        self._scope = {
            **scope,
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
        }
        self._next_id = 0

    async def all_pages(self, method: str, key: str) -> list[Mapping[str, Any]]:
        items: list[Mapping[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            result = await self.request(method, {} if cursor is None else {"cursor": cursor})
            if result is None:
                return items
            page = result.get(key)
            if isinstance(page, list):
                items.extend(item for item in page if isinstance(item, dict))
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str):
                break
        return items

    async def request(self, method: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The result of `method`; `None` when the endpoint does not know the method."""
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        status, body = await self._post(json.dumps(message).encode())
        if status != 200:
            raise RefusedError(status, f"The MCP endpoint answered {method} with HTTP {status}")
        try:
            reply = json.loads(body)
        except ValueError:
            raise RefusedError(502, f"The MCP endpoint answered {method} with no JSON") from None
        error = reply.get("error") if isinstance(reply, dict) else None
        if isinstance(error, dict) and error.get("code") == METHOD_NOT_FOUND:
            return None
        result = reply.get("result") if isinstance(reply, dict) else None
        if not isinstance(result, dict):
            raise RefusedError(502, f"The MCP endpoint answered {method} with an error")
        return result

    async def _post(self, body: bytes) -> tuple[int, bytes]:
        headers = [*self._headers, (b"content-length", str(len(body)).encode())]
        start, answer = await exchange(self._app, {**self._scope, "headers": headers}, body)
        return (502 if start is None else start["status"]), answer
