"""`CatalogApp`: the ASGI app serving the catalogue page of one MCP endpoint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from http_mcp._catalog._listing import PROTOCOL_VERSION, Listing, RefusedError, fetch_listing
from http_mcp._catalog._page import assets, render

_ENDPOINT: Final = re.compile(r"/(?!/)[^\s?#\\]*")
# list key -> the method whose scopes apply to its items, and the field naming an item
_SCOPED_BY: Final = {
    "tools": ("tools/call", "name"),
    "prompts": ("prompts/get", "name"),
    "resources": ("resources/read", "uri"),
    "resourceTemplates": ("resources/read", "uriTemplate"),
}


class CatalogApp:
    """ASGI app serving a human-readable page of what an MCP endpoint offers its caller.

    Build it with `MCPServer.catalog_app`. The page lists the tools, prompts, resources and
    resource templates the caller of the page may see, and lets a person call a tool, get a
    prompt or read a resource with a POST to the endpoint, carrying the page's cookies.
    """

    def __init__(
        self,
        endpoint_app: ASGIApp,
        scoped_names: Mapping[str, Mapping[str, frozenset[str]]],
        endpoint: str,
    ) -> None:
        if not isinstance(endpoint, str) or not _ENDPOINT.fullmatch(endpoint):
            raise ValueError(
                f"endpoint must be the path the MCP endpoint is served at, such as '/mcp', "
                f"got {endpoint!r}"
            )
        self._endpoint_app = endpoint_app
        self._scoped_names = scoped_names
        self._endpoint = endpoint
        self._headers = _page_headers(assets().policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            text = "Method not allowed: the catalogue page answers GET"
            await _send_text(send, 405, text, scope, [(b"allow", b"GET, HEAD")])
            return
        path = scope.get("root_path", "") + self._endpoint
        try:
            listing = await fetch_listing(self._endpoint_app, scope, path)
        except RefusedError as refused:
            await _send_text(send, refused.status, refused.reason, scope)
            return
        info = listing.server_info
        title = str(info.get("title") or info.get("name") or "MCP server")
        body = render(title, self._page_data(listing, path))
        headers = [*self._headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if _is_head(scope) else body})

    def _page_data(self, listing: Listing, path: str) -> dict[str, Any]:
        scopes: dict[str, dict[str, list[str]]] = {}
        for key, (method, field) in _SCOPED_BY.items():
            needed = self._scoped_names.get(method, {})
            visible = (item.get(field) for item in listing.items.get(key, ()))
            scopes[key] = {
                n: sorted(needed[n]) for n in visible if isinstance(n, str) and n in needed
            }
        return {
            "server": dict(listing.server_info),
            "instructions": listing.instructions,
            "endpoint": path,
            "protocolVersion": PROTOCOL_VERSION,
            **{key: list(items) for key, items in listing.items.items()},
            "scopes": scopes,
        }


def _page_headers(policy: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-security-policy", policy.encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


def _is_head(scope: Scope) -> bool:
    return bool(scope["method"] == "HEAD")


async def _send_text(
    send: Send,
    status: int,
    text: str,
    scope: Scope,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = (text + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if _is_head(scope) else body})
