"""The method table: every MCP method the server answers, declared once.

`METHODS` is the one place a method is added: one `Method` entry naming its handler and its
facts, read by the server, the transports and the authorization layer. The handlers of the
methods that run no user code live here; those that do live in `_calls`.
"""

from __future__ import annotations

from typing import Any, Final

from http_mcp._call import Call, Method, method_not_found
from http_mcp._calls import call_tool, complete, get_prompt, read_resource, subscribe
from http_mcp._channel import LOG_LEVELS
from http_mcp._listen import listen
from http_mcp._protocol import (
    LATEST_LEGACY_VERSION,
    LEGACY_VERSIONS,
    MODERN_VERSIONS,
    SUPPORTED_VERSIONS,
)
from http_mcp._tasks import EXTENSION, Tasks
from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError

MODERN: Final = frozenset(MODERN_VERSIONS)
LEGACY: Final = frozenset(LEGACY_VERSIONS)
ALL: Final = frozenset(SUPPORTED_VERSIONS)


async def initialize(call: Call) -> dict[str, Any]:
    params = call.params
    requested = params.get("protocolVersion")
    if not isinstance(requested, str):
        raise JSONRPCError(INVALID_PARAMS, "initialize: protocolVersion must be a string")
    for name in ("capabilities", "clientInfo"):
        if not isinstance(params.get(name), dict):
            raise JSONRPCError(INVALID_PARAMS, f"initialize: {name} must be an object")
    version = requested if requested in LEGACY_VERSIONS else LATEST_LEGACY_VERSION
    registry = call.registry
    result: dict[str, Any] = {
        "protocolVersion": version,
        "capabilities": registry.legacy_capabilities,
        "serverInfo": registry.server_info,
    }
    if registry.instructions is not None:
        result["instructions"] = registry.instructions
    return result


async def ping(call: Call) -> dict[str, Any]:
    return {}


async def set_level(call: Call) -> dict[str, Any]:
    if call.params.get("level") not in LOG_LEVELS:
        raise JSONRPCError(
            INVALID_PARAMS, f"Invalid params: level must be one of {', '.join(LOG_LEVELS)}"
        )
    return {}


async def discover(call: Call) -> dict[str, Any]:
    registry = call.registry
    capabilities = registry.capabilities
    if registry.tasks is not None:
        capabilities = {**capabilities, "extensions": {EXTENSION: {}}}
    result: dict[str, Any] = {
        "supportedVersions": list(SUPPORTED_VERSIONS),
        "capabilities": capabilities,
    }
    if registry.instructions is not None:
        result["instructions"] = registry.instructions
    return {**result, **registry.discover_hints}


async def list_tools(call: Call) -> bytes:
    return call.registry.page("tools", call.modern, call.scopes, call.params.get("cursor"))


async def list_prompts(call: Call) -> bytes:
    return call.registry.page("prompts", call.modern, call.scopes, call.params.get("cursor"))


async def list_resources(call: Call) -> bytes:
    return call.registry.page("resources", call.modern, call.scopes, call.params.get("cursor"))


async def list_templates(call: Call) -> bytes:
    cursor = call.params.get("cursor")
    return call.registry.page("resourceTemplates", call.modern, call.scopes, cursor)


def _tasks(call: Call) -> Tasks:
    if call.registry.tasks is None:
        raise method_not_found(call.message.method)
    return call.registry.tasks


async def get_task(call: Call) -> dict[str, Any]:
    return await _tasks(call).get(call)


async def update_task(call: Call) -> dict[str, Any]:
    return await _tasks(call).update(call)


async def cancel_task(call: Call) -> dict[str, Any]:
    return await _tasks(call).cancel(call)


METHODS: Final[dict[str, Method]] = {
    method.name: method
    for method in (
        Method("initialize", initialize, LEGACY),
        Method("ping", ping, LEGACY),
        Method("logging/setLevel", set_level, LEGACY),
        Method("server/discover", discover, MODERN),
        Method("tools/list", list_tools, ALL, scoped=True),
        Method("prompts/list", list_prompts, ALL, scoped=True),
        Method("resources/list", list_resources, ALL, scoped=True),
        Method("resources/templates/list", list_templates, ALL, scoped=True),
        Method("tools/call", call_tool, ALL, runs_user_code=True, target="name", scoped=True),
        Method("prompts/get", get_prompt, ALL, runs_user_code=True, target="name", scoped=True),
        Method(
            "resources/read", read_resource, ALL, runs_user_code=True, target="uri", scoped=True
        ),
        Method("resources/subscribe", subscribe, LEGACY),
        Method("resources/unsubscribe", subscribe, LEGACY),
        Method("completion/complete", complete, ALL, scoped=True),
        Method("subscriptions/listen", listen, MODERN, scoped=True, streams=True),
        Method("tasks/get", get_task, MODERN, target="taskId"),
        Method("tasks/update", update_task, MODERN, target="taskId"),
        Method("tasks/cancel", cancel_task, MODERN, target="taskId"),
    )
}
"""Every method the server answers, by name."""
