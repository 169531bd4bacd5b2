"""The methods that run user code: tools/call, prompts/get, resources/read, completion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn, TypeVar

from http_mcp._back_channel import ask_client
from http_mcp._call import Call, short
from http_mcp._concurrency import invoke, is_async
from http_mcp._input import InputRequired
from http_mcp._prompts import RegisteredPrompt
from http_mcp._protocol import check_param_headers
from http_mcp._resources import find
from http_mcp._tools import RegisteredTool
from http_mcp.jsonrpc import (
    INVALID_PARAMS,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    RESOURCE_NOT_FOUND,
    JSONRPCError,
)

Item = TypeVar("Item", RegisteredTool, RegisteredPrompt)
MAX_COMPLETIONS: Final = 100


async def call_tool(call: Call) -> dict[str, Any]:
    name, arguments = _name_and_arguments(call.params, "tool")
    tool = _visible(call.registry.tools, name, "tool", call.scopes)
    headers = call.context.headers
    if tool.param_headers and call.modern and headers is not None:
        check_param_headers(call.message, tool.param_headers, arguments, headers)
    call.input_round  # noqa: B018 - checked before the tool runs
    tasks = call.registry.tasks
    if tool.tool.task is not None and tasks is not None and call.modern:
        created = await tasks.start(call, tool, arguments)
        if created is not None:
            return _answer(call, created)
    outcome = await tool.call(arguments, call)
    if isinstance(outcome, InputRequired) and not call.modern:
        return await ask_client(call, outcome, lambda: tool.call(arguments, call))
    return _answer(call, outcome)


async def get_prompt(call: Call) -> dict[str, Any]:
    name, arguments = _name_and_arguments(call.params, "prompt")
    prompt = _visible(call.registry.prompts, name, "prompt", call.scopes)
    call.input_round  # noqa: B018 - checked before the prompt runs
    outcome = await prompt.get(arguments, call)
    if isinstance(outcome, InputRequired) and not call.modern:
        return await ask_client(call, outcome, lambda: prompt.get(arguments, call))
    return _answer(call, outcome)


def _answer(call: Call, outcome: dict[str, Any] | InputRequired) -> dict[str, Any]:
    """A tool's or prompt's outcome as a 2026-07-28 result (the handshake's is `ask_client`)."""
    if not isinstance(outcome, InputRequired):
        return outcome
    declared = call.client_capabilities
    missing: dict[str, dict[str, Any]] = {
        r.capability: {} for r in outcome.requests.values() if r.capability not in declared
    }
    if missing:
        raise JSONRPCError(
            MISSING_REQUIRED_CLIENT_CAPABILITY,
            f"This request needs the client capabilities: {', '.join(sorted(missing))}",
            {"requiredCapabilities": missing},
        )
    result: dict[str, Any] = {"resultType": "input_required"}
    if outcome.requests:
        result["inputRequests"] = {k: r.to_wire() for k, r in outcome.requests.items()}
    if outcome.state is not None:
        result["requestState"] = call.registry.codec.seal(call.purpose, outcome.state)
    return result


async def read_resource(call: Call) -> dict[str, Any]:
    uri = call.params.get("uri")
    if not isinstance(uri, str):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: uri must be a string")
    found = find(call.registry.resources, uri, call.scopes)
    if found is None:
        _resource_not_found(call, uri)
    resource, values = found
    contents = await resource.read(uri, values, call)
    result: dict[str, Any] = {"contents": contents}
    if call.modern:
        result["ttlMs"] = 0
        result["cacheScope"] = "private" if resource.scopes else "public"
    return result


async def subscribe(call: Call) -> dict[str, Any]:
    if not isinstance(call.params.get("uri"), str):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: uri must be a string")
    return {}


async def complete(call: Call) -> dict[str, Any]:
    params = call.params
    ref, argument = params.get("ref"), params.get("argument")
    if not isinstance(ref, dict) or not isinstance(argument, dict):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: ref and argument are objects")
    name, value = argument.get("name"), argument.get("value", "")
    if not isinstance(name, str) or not isinstance(value, str):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: argument.name and .value are strings")
    completer = _completer(call, ref, name)
    if completer is None:
        return _completion([])
    given = params.get("context")
    context_arguments = given.get("arguments") if isinstance(given, dict) else None
    if not isinstance(context_arguments, dict):
        context_arguments = {}
    values = await invoke(completer, is_async(completer), value, context_arguments)
    if isinstance(values, str | bytes):
        raise TypeError(f"a completion function returns a list of strings, got {values!r}")
    return _completion([str(v) for v in values])


def _completer(call: Call, ref: Mapping[str, Any], argument: str) -> Any:
    scopes, registry = call.scopes, call.registry
    kind = ref.get("type")
    if kind == "ref/prompt":
        prompt = registry.prompts.get(str(ref.get("name")))
        if prompt is None or not prompt.scopes <= scopes:
            raise JSONRPCError(INVALID_PARAMS, f"Unknown prompt: {short(str(ref.get('name')))}")
        return prompt.prompt.completions.get(argument)
    if kind == "ref/resource":
        template = registry.templates.get(str(ref.get("uri")))
        if template is None or not template.scopes <= scopes:
            raise JSONRPCError(
                INVALID_PARAMS, f"Unknown resource template: {short(str(ref.get('uri')))}"
            )
        return getattr(template.declaration, "completions", {}).get(argument)
    raise JSONRPCError(INVALID_PARAMS, "Invalid params: ref.type is ref/prompt or ref/resource")


def check_visible(call: Call) -> None:
    """Raise what the method would for a target the caller may not see (or that is absent).

    Run before middleware, so that middleware never sees what the caller's scopes hide.
    """
    name = call.method.name
    params, scopes, registry = call.params, call.scopes, call.registry
    if name == "tools/call":
        _visible(registry.tools, _name_and_arguments(params, "tool")[0], "tool", scopes)
    elif name == "prompts/get":
        _visible(registry.prompts, _name_and_arguments(params, "prompt")[0], "prompt", scopes)
    elif name == "resources/read":
        uri = params.get("uri")
        if not isinstance(uri, str) or find(registry.resources, uri, scopes) is None:
            _resource_not_found(call, uri)
    elif name == "completion/complete":
        ref, argument = params.get("ref"), params.get("argument")
        if isinstance(ref, dict) and isinstance(argument, dict):
            _completer(call, ref, str(argument.get("name")))


def _resource_not_found(call: Call, uri: object) -> NoReturn:
    if not isinstance(uri, str):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: uri must be a string")
    code = INVALID_PARAMS if call.modern else RESOURCE_NOT_FOUND
    raise JSONRPCError(code, f"Resource not found: {short(uri)}", {"uri": uri})


def _completion(values: list[str]) -> dict[str, Any]:
    return {
        "completion": {
            "values": values[:MAX_COMPLETIONS],
            "total": len(values),
            "hasMore": len(values) > MAX_COMPLETIONS,
        }
    }


def _visible(items: Mapping[str, Item], name: str, kind: str, scopes: frozenset[str]) -> Item:
    """The named tool or prompt; one the caller may not see is answered as unknown."""
    item = items.get(name)
    if item is None or not item.scopes <= scopes:
        raise JSONRPCError(INVALID_PARAMS, f"Unknown {kind}: {short(name)}")
    return item


def _name_and_arguments(params: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    name = params.get("name")
    if not isinstance(name, str):
        raise JSONRPCError(INVALID_PARAMS, f"Invalid params: the {kind} name must be a string")
    arguments = params.get("arguments")
    if arguments is None:
        return name, {}
    if not isinstance(arguments, dict):
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: arguments must be an object")
    return name, arguments
