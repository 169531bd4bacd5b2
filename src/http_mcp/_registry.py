"""What one server offers, fixed at construction, and what it derives once from that.

The method handlers reach it as `call.registry`: the tools, prompts and resources by the name a
request addresses them with, the list pages serialized once per era, scope set and cursor,
and the key `requestState` is sealed with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from pydantic_core import to_json

from http_mcp._pagination import decode_cursor, page
from http_mcp._prompts import RegisteredPrompt
from http_mcp._protocol import META_SERVER_INFO
from http_mcp._request_state import RequestStateCodec
from http_mcp._resources import RegisteredResource, in_lookup_order
from http_mcp._tools import RegisteredTool

if TYPE_CHECKING:  # the bus reads resources, which this module imports
    from http_mcp._changes import Bus, Change
if TYPE_CHECKING:  # tasks import what imports this module: a cycle at run time
    from http_mcp._tasks import Tasks

Listed = RegisteredTool | RegisteredPrompt | RegisteredResource
_CACHE_LIMIT: Final = 1024

CAPABILITIES: Final[dict[str, Any]] = {
    "tools": {"listChanged": False},
    "prompts": {"listChanged": False},
    "resources": {"subscribe": False, "listChanged": False},
    "completions": {},
    "logging": {},
}
NOTIFYING_CAPABILITIES: Final[dict[str, Any]] = {
    **CAPABILITIES,
    "tools": {"listChanged": True},
    "prompts": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": True},
}


class Registry:
    """A server's tools, prompts and resources, and what is derived from them once."""

    def __init__(
        self,
        *,
        server_info: dict[str, Any],
        instructions: str | None,
        tools: Sequence[RegisteredTool],
        prompts: Sequence[RegisteredPrompt],
        resources: Sequence[RegisteredResource],
        page_size: int | None,
        list_ttl_ms: int,
        codec: RequestStateCodec,
    ) -> None:
        self.server_info = server_info
        self.instructions = instructions
        self.page_size = page_size
        self.list_ttl_ms = list_ttl_ms
        self.codec = codec
        self.result_meta: dict[str, Any] = {META_SERVER_INFO: server_info}
        self.load(tools, prompts, resources)
        self.bus: Bus | None = None
        """Carries changes to listeners: list changes, and task states (set by the server)."""
        self.notifying = False
        """Whether list and resource changes are delivered (`deliver_changes`)."""
        self.tasks: Tasks | None = None
        """Task records, when a tool runs as a task (set by the server)."""
        self.back_channel_timeout_s = 60.0
        """How long a call waits for the client's answers at the handshake (set by the server)."""
        self.capabilities = CAPABILITIES
        self.legacy_capabilities = CAPABILITIES

    def load(
        self,
        tools: Sequence[RegisteredTool],
        prompts: Sequence[RegisteredPrompt],
        resources: Sequence[RegisteredResource],
    ) -> None:
        """Offer these, in this order, and drop everything derived from what was offered."""
        self.declared = (tuple(tools), tuple(prompts), tuple(resources))
        self.tools = {t.name: t for t in tools}
        self.prompts = {p.name: p for p in prompts}
        self.resources = in_lookup_order(resources)
        self.templates = {r.definition["uriTemplate"]: r for r in resources if r.pattern}
        self._items: dict[str, Sequence[Listed]] = {
            "tools": tuple(tools),
            "prompts": tuple(prompts),
            "resources": [r for r in resources if r.pattern is None],
            "resourceTemplates": [r for r in resources if r.pattern is not None],
        }
        self._hints = {kind: self.cache_hints(items) for kind, items in self._items.items()}
        self.discover_hints = self.cache_hints([*tools, *prompts, *resources])
        self._visible: dict[tuple[str, frozenset[str]], Sequence[Listed]] = {}
        self._pages: dict[tuple[str, bool, frozenset[str], int], bytes] = {}

    def deliver_changes(self) -> None:
        """Deliver change notifications (on `bus`), and advertise them at every revision."""
        self.notifying = True
        self.capabilities = NOTIFYING_CAPABILITIES
        self.legacy_capabilities = NOTIFYING_CAPABILITIES

    def changed(self, change: Change) -> None:
        """Drop what was derived from a list another process says changed."""
        if change.kind in ("tools", "prompts", "resources"):
            self._visible.clear()
            self._pages.clear()

    def scopes_by_target(self) -> dict[str, Mapping[str, frozenset[str]]]:
        """The scopes of each scoped tool, prompt and resource, by the method addressing it."""
        return {
            "tools/call": {t.name: t.scopes for t in self.tools.values() if t.scopes},
            "prompts/get": {p.name: p.scopes for p in self.prompts.values() if p.scopes},
            "resources/read": {address(r): r.scopes for r in self.resources if r.scopes},
        }

    def page(self, kind: str, modern: bool, scopes: frozenset[str], cursor: Any) -> bytes:
        """One page of a list as a serialized result: made once, then remembered."""
        visible = self._visible_items(kind, scopes)
        start = 0 if cursor is None else decode_cursor(cursor, len(visible))
        key = (kind, modern, scopes, start)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        items, next_cursor = page(visible, start, self.page_size)
        result: dict[str, Any] = {kind: [item.definition for item in items]}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        if modern:
            result.update(self._hints[kind])
        encoded = to_json(result, inf_nan_mode="null")
        _remember(self._pages, key, encoded)
        return encoded

    def _visible_items(self, kind: str, scopes: frozenset[str]) -> Sequence[Listed]:
        key = (kind, scopes)
        visible = self._visible.get(key)
        if visible is None:
            visible = tuple(item for item in self._items[kind] if item.scopes <= scopes)
            _remember(self._visible, key, visible)
        return visible

    def cache_hints(self, items: Sequence[Listed]) -> dict[str, Any]:
        """The 2026-07-28 caching fields of a list or discovery result."""
        return {
            "resultType": "complete",
            "ttlMs": self.list_ttl_ms,
            "cacheScope": "private" if any(item.scopes for item in items) else "public",
            "_meta": self.result_meta,
        }


def address(resource: RegisteredResource) -> str:
    """A resource's URI, or a template's URI template."""
    return str(resource.definition.get("uri") or resource.definition["uriTemplate"])


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
