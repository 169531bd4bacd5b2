"""The method table of both protocol eras: a parsed message in, a serialized reply out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic_core import to_json

from http_mcp._calls import Calls, short
from http_mcp._channel import LOG_LEVELS
from http_mcp._context import Reply, RequestContext
from http_mcp._pagination import decode_cursor, page
from http_mcp._prompts import RegisteredPrompt
from http_mcp._protocol import (
    LATEST_LEGACY_VERSION,
    LEGACY_VERSIONS,
    META_SERVER_INFO,
    SUPPORTED_VERSIONS,
    Negotiated,
    negotiate,
    unsupported_version,
)
from http_mcp._request_state import RequestStateCodec
from http_mcp._resources import RegisteredResource
from http_mcp._tools import RegisteredTool
from http_mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    JSONRPCError,
    Message,
    Notification,
    Request,
    raw_result_bytes,
    result_bytes,
)

logger = logging.getLogger("http_mcp")

Handler = Callable[[Request, RequestContext, Negotiated], Awaitable[dict[str, Any]]]
Listed = RegisteredTool | RegisteredPrompt | RegisteredResource
_CACHE_LIMIT: Final = 1024
# list method -> the key its items travel under
_LISTS: Final = {
    "tools/list": "tools",
    "prompts/list": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}


@dataclass(frozen=True, slots=True)
class Catalog:
    """What a server offers, fixed at construction."""

    server_info: dict[str, Any]
    instructions: str | None
    tools: Sequence[RegisteredTool]
    prompts: Sequence[RegisteredPrompt]
    resources: Sequence[RegisteredResource]
    page_size: int | None
    list_ttl_ms: int
    codec: RequestStateCodec


class Dispatcher:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._items: dict[str, Sequence[Listed]] = {
            "tools": catalog.tools,
            "prompts": catalog.prompts,
            "resources": [r for r in catalog.resources if r.pattern is None],
            "resourceTemplates": [r for r in catalog.resources if r.pattern is not None],
        }
        self._capabilities: dict[str, Any] = {
            "tools": {"listChanged": False},
            "prompts": {"listChanged": False},
            "resources": {"subscribe": False, "listChanged": False},
            "completions": {},
            "logging": {},
        }
        self._result_meta = {META_SERVER_INFO: catalog.server_info}
        self._hints = {kind: self._cache_hints(items) for kind, items in self._items.items()}
        everything = [item for items in self._items.values() for item in items]
        self._discover_hints = self._cache_hints(everything)
        self._visible: dict[tuple[str, frozenset[str]], Sequence[Listed]] = {}
        self._lists: dict[tuple[str, bool, frozenset[str], int], bytes] = {}
        calls = Calls(catalog.tools, catalog.prompts, catalog.resources, catalog.codec)
        common: dict[str, Handler] = {
            "tools/call": calls.call_tool,
            "prompts/get": calls.get_prompt,
            "resources/read": calls.read_resource,
            "completion/complete": calls.complete,
        }
        self._legacy: dict[str, Handler] = {
            **common,
            "initialize": self._initialize,
            "ping": self._ping,
            "logging/setLevel": self._set_level,
            "resources/subscribe": calls.subscribe,
            "resources/unsubscribe": calls.subscribe,
        }
        self._modern: dict[str, Handler] = {**common, "server/discover": self._discover}

    async def handle(self, message: Message, context: RequestContext) -> Reply | None:
        """Answer a request; `None` for a notification or a response (nothing to send)."""
        if not isinstance(message, Request):
            return self._acknowledge(message, context)
        try:
            negotiated = negotiate(message, context.header_version, context.routing_headers)
        except JSONRPCError as exc:
            return Reply(exc.to_bytes(), exc.code, modern=True)
        try:
            body = await self._answer(message, context, negotiated)
        except JSONRPCError as exc:
            exc.request_id = message.id
            return Reply(exc.to_bytes(), exc.code, negotiated.modern)
        except Exception:
            logger.exception("internal error answering %r", message.method)
            error = JSONRPCError(INTERNAL_ERROR, "Internal error", request_id=message.id)
            return Reply(error.to_bytes(), INTERNAL_ERROR, negotiated.modern)
        return Reply(body, None, negotiated.modern)

    def _acknowledge(self, message: Message, context: RequestContext) -> Reply | None:
        version = context.header_version
        if version is not None and version not in SUPPORTED_VERSIONS:
            error = unsupported_version(version)
            return Reply(error.to_bytes(), error.code, modern=True)
        if isinstance(message, Notification):
            logger.debug("notification %r acknowledged", message.method)
        return None

    async def _answer(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> bytes:
        kind = _LISTS.get(message.method)
        if kind is not None:
            return raw_result_bytes(message.id, self._list(kind, message, context, negotiated))
        table = self._modern if negotiated.modern else self._legacy
        handler = table.get(message.method)
        if handler is None:
            raise JSONRPCError(METHOD_NOT_FOUND, f"Method not found: {short(message.method)}")
        result = await handler(message, context, negotiated)
        if negotiated.modern:
            result = {"resultType": "complete", **result, "_meta": self._result_meta}
        return result_bytes(message.id, result)

    # -- lists ---------------------------------------------------------------------------

    def _list(
        self, kind: str, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> bytes:
        visible = self._visible_items(kind, context.scopes)
        cursor = message.params.get("cursor")
        start = 0 if cursor is None else decode_cursor(cursor, len(visible))
        key = (kind, negotiated.modern, context.scopes, start)
        cached = self._lists.get(key)
        if cached is not None:
            return cached
        items, next_cursor = page(visible, start, self.catalog.page_size)
        result: dict[str, Any] = {kind: [item.definition for item in items]}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        if negotiated.modern:
            result.update(self._hints[kind])
        encoded = to_json(result, inf_nan_mode="null")
        _remember(self._lists, key, encoded)
        return encoded

    def _visible_items(self, kind: str, scopes: frozenset[str]) -> Sequence[Listed]:
        key = (kind, scopes)
        visible = self._visible.get(key)
        if visible is None:
            visible = tuple(item for item in self._items[kind] if item.scopes <= scopes)
            _remember(self._visible, key, visible)
        return visible

    def _cache_hints(self, items: Sequence[Listed]) -> dict[str, Any]:
        return {
            "resultType": "complete",
            "ttlMs": self.catalog.list_ttl_ms,
            "cacheScope": "private" if any(item.scopes for item in items) else "public",
            "_meta": self._result_meta,
        }

    # -- methods -------------------------------------------------------------------------

    async def _initialize(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        params = message.params
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise JSONRPCError(INVALID_PARAMS, "initialize: protocolVersion must be a string")
        for field in ("capabilities", "clientInfo"):
            if not isinstance(params.get(field), dict):
                raise JSONRPCError(INVALID_PARAMS, f"initialize: {field} must be an object")
        version = requested if requested in LEGACY_VERSIONS else LATEST_LEGACY_VERSION
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self._capabilities,
            "serverInfo": self.catalog.server_info,
        }
        if self.catalog.instructions is not None:
            result["instructions"] = self.catalog.instructions
        return result

    async def _ping(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        return {}

    async def _set_level(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        if message.params.get("level") not in LOG_LEVELS:
            raise JSONRPCError(
                INVALID_PARAMS, f"Invalid params: level must be one of {', '.join(LOG_LEVELS)}"
            )
        return {}

    async def _discover(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "supportedVersions": list(SUPPORTED_VERSIONS),
            "capabilities": self._capabilities,
        }
        if self.catalog.instructions is not None:
            result["instructions"] = self.catalog.instructions
        return {**result, **self._discover_hints}


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
