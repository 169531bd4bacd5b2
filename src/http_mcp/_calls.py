"""The methods that run user code: tools/call, prompts/get, resources/read, completion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from starlette.requests import Request as HTTPRequest

from http_mcp._channel import Channel, LogLevel
from http_mcp._concurrency import invoke, is_async
from http_mcp._context import RequestContext
from http_mcp._input import InputRequired, InputRound
from http_mcp._prompts import RegisteredPrompt
from http_mcp._protocol import Negotiated, check_param_headers
from http_mcp._request_state import RequestStateCodec
from http_mcp._resources import RegisteredResource, find, in_lookup_order
from http_mcp._tools import RegisteredTool
from http_mcp.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    JSONRPCError,
    Request,
)

Item = TypeVar("Item", RegisteredTool, RegisteredPrompt)
RESOURCE_NOT_FOUND = -32002
MAX_COMPLETIONS = 100
# No session keeps a level set by logging/setLevel, so at the handshake wire a request gets the
# level its own _meta names, or this one.
LEGACY_LOG_LEVEL: LogLevel = "info"


class Calls:
    def __init__(
        self,
        tools: Sequence[RegisteredTool],
        prompts: Sequence[RegisteredPrompt],
        resources: Sequence[RegisteredResource],
        codec: RequestStateCodec,
    ) -> None:
        self._tools = {t.name: t for t in tools}
        self._prompts = {p.name: p for p in prompts}
        self._resources = in_lookup_order(resources)
        self._templates = {r.definition["uriTemplate"]: r for r in resources if r.pattern}
        self._codec = codec

    async def call_tool(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        name, arguments = _name_and_arguments(message.params, "tool")
        tool = _visible(self._tools, name, "tool", context.scopes)
        if tool.param_headers and negotiated.modern and context.routing_headers is not None:
            check_param_headers(message, tool.param_headers, arguments, context.routing_headers)
        purpose = f"tools/call:{name}"
        outcome = await tool.call(
            arguments, *self._surroundings(message, context, negotiated, purpose)
        )
        if isinstance(outcome, InputRequired) and not negotiated.modern:
            text = _NEEDS_MODERN.format(negotiated.version)
            return {"content": [{"type": "text", "text": text}], "isError": True}
        return self._finished(outcome, negotiated, purpose)

    async def get_prompt(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        name, arguments = _name_and_arguments(message.params, "prompt")
        prompt = _visible(self._prompts, name, "prompt", context.scopes)
        purpose = f"prompts/get:{name}"
        outcome = await prompt.get(
            arguments, *self._surroundings(message, context, negotiated, purpose)
        )
        if isinstance(outcome, InputRequired) and not negotiated.modern:
            raise JSONRPCError(INTERNAL_ERROR, _NEEDS_MODERN.format(negotiated.version))
        return self._finished(outcome, negotiated, purpose)

    def _surroundings(
        self, message: Request, context: RequestContext, negotiated: Negotiated, purpose: str
    ) -> tuple[HTTPRequest, Channel, InputRound]:
        """What a tool or prompt function runs with besides its arguments."""
        default_level = None if negotiated.modern else LEGACY_LOG_LEVEL
        channel = Channel.for_request(
            message.params, context.notify, default_level, context.cancelled
        )
        return context.request, channel, self._input_round(message, negotiated, purpose)

    def _finished(
        self, outcome: dict[str, Any] | InputRequired, negotiated: Negotiated, purpose: str
    ) -> dict[str, Any]:
        if isinstance(outcome, InputRequired):
            return self._input_required(outcome, negotiated, purpose)
        return outcome

    async def read_resource(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        uri = message.params.get("uri")
        if not isinstance(uri, str):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: uri must be a string")
        found = find(self._resources, uri, context.scopes)
        if found is None:
            code = INVALID_PARAMS if negotiated.modern else RESOURCE_NOT_FOUND
            raise JSONRPCError(code, f"Resource not found: {short(uri)}", {"uri": uri})
        resource, values = found
        contents = await resource.read(uri, values, context.request)
        result: dict[str, Any] = {"contents": contents}
        if negotiated.modern:
            result["ttlMs"] = 0
            result["cacheScope"] = "private" if resource.scopes else "public"
        return result

    async def subscribe(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        if not isinstance(message.params.get("uri"), str):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: uri must be a string")
        return {}

    async def complete(
        self, message: Request, context: RequestContext, negotiated: Negotiated
    ) -> dict[str, Any]:
        ref, argument = message.params.get("ref"), message.params.get("argument")
        if not isinstance(ref, dict) or not isinstance(argument, dict):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: ref and argument are objects")
        name, value = argument.get("name"), argument.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise JSONRPCError(
                INVALID_PARAMS, "Invalid params: argument.name and .value are strings"
            )
        completer = self._completer(ref, name, context.scopes)
        if completer is None:
            return _completion([])
        given = message.params.get("context")
        context_arguments = given.get("arguments") if isinstance(given, dict) else None
        if not isinstance(context_arguments, dict):
            context_arguments = {}
        values = await invoke(completer, is_async(completer), value, context_arguments)
        if isinstance(values, str | bytes):
            raise TypeError(f"a completion function returns a list of strings, got {values!r}")
        return _completion([str(v) for v in values])

    def _completer(self, ref: Mapping[str, Any], argument: str, scopes: frozenset[str]) -> Any:
        kind = ref.get("type")
        if kind == "ref/prompt":
            prompt = self._prompts.get(str(ref.get("name")))
            if prompt is None or not prompt.scopes <= scopes:
                raise JSONRPCError(INVALID_PARAMS, f"Unknown prompt: {short(str(ref.get('name')))}")
            return prompt.prompt.completions.get(argument)
        if kind == "ref/resource":
            template = self._templates.get(str(ref.get("uri")))
            if template is None or not template.scopes <= scopes:
                raise JSONRPCError(
                    INVALID_PARAMS, f"Unknown resource template: {short(str(ref.get('uri')))}"
                )
            return getattr(template.declaration, "completions", {}).get(argument)
        raise JSONRPCError(INVALID_PARAMS, "Invalid params: ref.type is ref/prompt or ref/resource")

    def _input_round(self, message: Request, negotiated: Negotiated, purpose: str) -> InputRound:
        params = message.params
        responses = params.get("inputResponses", {})
        if not isinstance(responses, dict):
            raise JSONRPCError(INVALID_PARAMS, "Invalid params: inputResponses must be an object")
        token = params.get("requestState")
        state = None if token is None else self._codec.open(purpose, token)
        return InputRound(responses, state, negotiated.client_capabilities)

    def _input_required(
        self, outcome: InputRequired, negotiated: Negotiated, purpose: str
    ) -> dict[str, Any]:
        declared = negotiated.client_capabilities
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
            result["requestState"] = self._codec.seal(purpose, outcome.state)
        return result


_NEEDS_MODERN = (
    "This needs input from the client, which protocol {} cannot carry without a session; "
    "connect with protocol 2026-07-28."
)


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


def short(text: str, limit: int = 100) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
