"""`AsyncTestClient`: an MCP client that drives an ASGI app in process (see `http_mcp.testing`)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Final

import anyio
from pydantic_core import to_json
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, SimpleUser
from starlette.routing import Route
from starlette.types import ASGIApp

from http_mcp._channel import META_PROGRESS_TOKEN, LogLevel
from http_mcp._dispatch import METHODS
from http_mcp._lifespan import lifespan_state
from http_mcp._protocol import (
    LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    ParamHeader,
    param_headers,
)
from http_mcp._testing_asgi import Answer, ResponseError, http_scope, post, read_answer
from http_mcp._testing_results import (
    CallToolResult,
    Completion,
    GetPromptResult,
    ListedPrompt,
    ListedResource,
    ListedTool,
    MCPError,
    ReadResourceResult,
    ServerInfo,
    completion,
    listed_prompt,
    listed_resource,
    listed_tool,
    prompt_result,
    resource_result,
    server_info,
    tool_result,
)
from http_mcp.server import MCPServer

MODERN: Final = "2026-07-28"
ALL_CAPABILITIES: Final[Mapping[str, Any]] = {"elicitation": {}, "sampling": {}, "roots": {}}
CLIENT_INFO: Final[Mapping[str, str]] = {"name": "http-mcp-testing", "version": "1"}
ACCEPT: Final = "application/json, text/event-stream"
# The first revision whose clients send MCP-Protocol-Version after the handshake.
_FIRST_VERSION_HEADER: Final = "2025-06-18"


class AsyncTestClient:
    """Drives an MCP server in process, from async tests. Use it with `async with`.

    Entering runs the application's lifespan startup and greets the server (`initialize`
    at a handshake revision, `server/discover` at 2026-07-28); leaving runs its shutdown.

    Args:
        app: An `MCPServer`, or an ASGI app (Starlette, FastAPI) that mounts one, with its
            middleware and lifespan.
        path: Where the MCP endpoint is mounted in `app` (and where a bare `MCPServer` is
            mounted).
        protocol: The revision to speak: `"2026-07-28"` (each request carries the
            stateless `_meta` envelope and the `MCP-Protocol-Version`, `Mcp-Method`,
            `Mcp-Name` and `Mcp-Param-*` headers) or a handshake revision such as
            `"2025-11-25"` (`initialize` first). An older revision the server does not know
            is offered in `initialize` and the server's choice is spoken (see `server`); a
            newer one is sent in the 2026-07-28 envelope, for the server to refuse.
        scopes: The caller's scopes, for a bare `MCPServer` or an app without its own
            authentication: every request arrives with them as `request.auth`
            (`AuthCredentials`) and `request.user` (`SimpleUser("test-client")`). `None`
            leaves both unset, as when no authentication middleware runs. An app whose
            middleware authenticates requests sets these itself: give it `headers` instead.
        headers: Sent with every request, e.g. `{"Authorization": "Bearer ..."}` for an
            app that authenticates callers itself.
        state: Lifespan state for tools to read with `get_state_key`, laid over what the
            app's own lifespan yields (a bare `MCPServer` has no lifespan).
        capabilities: The client capabilities declared; by default elicitation, sampling
            and roots, so input-required rounds can be answered.
        log_level: The level from which tools' log messages are sent (`_meta`
            `io.modelcontextprotocol/logLevel`). `None` names none: at 2026-07-28 no log
            messages are sent then, at a handshake revision `info` and above are.
        timeout: Seconds a request may take before `TimeoutError`; `None` for no limit.

    Example:
        ```python
        @pytest.mark.anyio
        async def test_lookup_reads_the_database() -> None:
            async with AsyncTestClient(server, state={"db": FakeDatabase()}) as client:
                result = await client.call_tool("lookup", {"key": "CVE-1"})
            assert result.text == "fixed in 2.0"
        ```
    """

    __test__ = False  # not a test class, whatever pytest's name patterns say

    def __init__(
        self,
        app: MCPServer | ASGIApp,
        *,
        path: str = "/mcp",
        protocol: str = MODERN,
        scopes: Iterable[str] | None = None,
        headers: Mapping[str, str] | None = None,
        state: Mapping[str, Any] | None = None,
        capabilities: Mapping[str, Any] | None = None,
        log_level: LogLevel | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        if isinstance(app, MCPServer):
            app = Starlette(routes=[Route(path, app.app, methods=["POST"])])
        self.app: ASGIApp = app
        self.path = path
        self.protocol = self._requested_protocol = protocol
        self._modern = protocol not in LEGACY_VERSIONS and protocol >= MODERN
        self._headers = [(k.lower(), v) for k, v in (headers or {}).items()]
        self._scope_extra: dict[str, Any] = {}
        if scopes is not None:
            self._scope_extra["auth"] = AuthCredentials(list(scopes))
            self._scope_extra["user"] = SimpleUser("test-client")
        self._extra_state = dict(state or {})
        self._state: dict[str, Any] = {}
        self._capabilities = dict(ALL_CAPABILITIES if capabilities is None else capabilities)
        self._log_level = log_level
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._param_headers: dict[str, tuple[ParamHeader, ...]] | None = None
        self._stack: AsyncExitStack | None = None
        self._server: ServerInfo | None = None

    @property
    def server(self) -> ServerInfo:
        """What the server said of itself when the client greeted it."""
        if self._server is None:
            raise RuntimeError("the client is not open: use `async with AsyncTestClient(...)`")
        return self._server

    async def __aenter__(self) -> AsyncTestClient:
        self.protocol, self._param_headers = self._requested_protocol, None
        stack = AsyncExitStack()
        self._state = {**await stack.enter_async_context(lifespan_state(self.app))}
        self._state.update(self._extra_state)
        self._stack = stack
        try:
            self._server = await self._greet()
        except BaseException:
            self._stack = None
            await stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The lifespan shuts down as usual; an exception of the `async with` body propagates
        # as it is, not wrapped in the lifespan task group's exception group.
        stack, self._stack, self._server = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    # -- lists -----------------------------------------------------------------------------

    async def list_tools(self) -> list[ListedTool]:
        """Every tool the caller may see, from all pages of `tools/list`."""
        tools = [listed_tool(t) for t in await self._list_all("tools/list", "tools")]
        self._param_headers = {t.name: param_headers(t.input_schema) for t in tools}
        return tools

    async def list_prompts(self) -> list[ListedPrompt]:
        """Every prompt the caller may see, from all pages of `prompts/list`."""
        return [listed_prompt(p) for p in await self._list_all("prompts/list", "prompts")]

    async def list_resources(self) -> list[ListedResource]:
        """Every resource the caller may see, from all pages of `resources/list`."""
        found = await self._list_all("resources/list", "resources")
        return [listed_resource(r) for r in found]

    async def list_resource_templates(self) -> list[ListedResource]:
        """Every resource template the caller may see (`resources/templates/list`)."""
        found = await self._list_all("resources/templates/list", "resourceTemplates")
        return [listed_resource(r) for r in found]

    # -- calls -----------------------------------------------------------------------------

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        progress_token: str | int | None = None,
        input_responses: Mapping[str, Any] | None = None,
        request_state: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> CallToolResult:
        """Call a tool and return its result, error results included.

        A tool input that fails validation, or a tool that raises, is a result with
        `is_error` set and the message the model reads in `text`. At 2026-07-28 the first
        call of a client lists the tools once, as any client must, to learn which arguments
        travel as `Mcp-Param-*` headers.

        Args:
            name: The tool's name.
            arguments: The tool's arguments, as JSON values.
            progress_token: Ask for progress notifications under this token; they are in
                `result.notifications.progress`.
            input_responses: The answers to an input-required result's `input_requests`,
                by key (2026-07-28).
            request_state: The `request_state` of that input-required result.
            meta: More `_meta` entries to send (e.g. `traceparent`).

        Raises:
            MCPError: a protocol error, e.g. an unknown or hidden tool (-32602).

        Example:
            ```python
            first = await client.call_tool("delete_advisory", {"id": 7})
            assert first.input_required
            done = await client.call_tool(
                "delete_advisory",
                {"id": 7},
                input_responses={"confirm": {"action": "accept", "content": {"ok": True}}},
                request_state=first.request_state,
            )
            ```
        """
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        _add_input_round(params, input_responses, request_state)
        extra = await self._tool_headers(name, params["arguments"]) if self._modern else []
        result, notes = await self._call(
            "tools/call", params, _with_progress(meta, progress_token), extra
        )
        return tool_result(result, notes)

    async def get_prompt(
        self,
        name: str,
        arguments: Mapping[str, str] | None = None,
        *,
        progress_token: str | int | None = None,
        input_responses: Mapping[str, Any] | None = None,
        request_state: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> GetPromptResult:
        """Get a prompt's messages; the keyword arguments are those of `call_tool`.

        Raises:
            MCPError: an unknown or hidden prompt, or arguments that fail validation (-32602).
        """
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        _add_input_round(params, input_responses, request_state)
        result, notes = await self._call(
            "prompts/get", params, _with_progress(meta, progress_token)
        )
        return prompt_result(result, notes)

    async def read_resource(
        self, uri: str, *, meta: Mapping[str, Any] | None = None
    ) -> ReadResourceResult:
        """Read a resource, or a resource template's instance, by URI.

        Raises:
            MCPError: no such resource, or one the caller may not see.
        """
        result, _ = await self._call("resources/read", {"uri": uri}, meta)
        return resource_result(result)

    async def complete(
        self,
        argument: str,
        value: str = "",
        *,
        prompt: str | None = None,
        resource_template: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> Completion:
        """Ask for suggested values of a prompt's or a resource template's argument.

        Args:
            argument: The argument's name.
            value: What has been typed so far.
            prompt: The prompt's name; give this or `resource_template`.
            resource_template: The template's URI template, e.g. `"vulns://advisory/{id}"`.
            context: The values of the other arguments, already chosen.
        """
        if (prompt is None) == (resource_template is None):
            raise ValueError("complete() takes one of prompt= or resource_template=")
        ref: dict[str, Any]
        if prompt is not None:
            ref = {"type": "ref/prompt", "name": prompt}
        else:
            ref = {"type": "ref/resource", "uri": resource_template}
        params: dict[str, Any] = {"ref": ref, "argument": {"name": argument, "value": value}}
        if context is not None:
            params["context"] = {"arguments": dict(context)}
        result, _ = await self._call("completion/complete", params)
        return completion(result)

    async def request(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send any request, with this client's envelope, and return the raw `result`.

        Raises:
            MCPError: the server answered with an error.
        """
        result, _ = await self._call(method, dict(params or {}))
        return result

    # -- the wire --------------------------------------------------------------------------

    async def _greet(self) -> ServerInfo:
        if self._modern:
            return server_info(await self.request("server/discover"), self.protocol)
        hello = {
            "protocolVersion": self.protocol,
            "capabilities": self._capabilities,
            "clientInfo": dict(CLIENT_INFO),
        }
        result = await self.request("initialize", hello)
        info = server_info(result, str(result.get("protocolVersion", self.protocol)))
        self.protocol = info.protocol_version
        await self._send("notifications/initialized", {}, None, [])
        return info

    async def _list_all(self, method: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        seen: set[str] = set()
        while True:
            result, _ = await self._call(method, params)
            items.extend(result.get(key, []))
            cursor = result.get("nextCursor")
            if cursor is None:
                return items
            if cursor in seen:
                raise ResponseError(f"{method} repeated the cursor {cursor!r}", 200, {}, "")
            seen.add(cursor)
            params = {"cursor": cursor}

    async def _tool_headers(self, name: str, arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
        if self._param_headers is None:
            await self.list_tools()
        assert self._param_headers is not None
        headers = []
        for param in self._param_headers.get(name, ()):
            value: Any = arguments
            for key in param.path:
                value = value.get(key) if isinstance(value, Mapping) else None
            rendered = _rendered(value)
            if rendered is not None:
                headers.append((param.header, _header_value(rendered)))
        return headers

    async def _call(
        self,
        method: str,
        params: dict[str, Any],
        meta: Mapping[str, Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
        request_id = next(self._ids)
        answer = await self._send(method, params, meta, headers or [], request_id)
        message = answer.message
        if message is None:
            raise ResponseError(f"{method} got no answer", answer.status_code, {}, "")
        error = message.get("error")
        if error is not None:
            text = str(error.get("message", ""))
            status = answer.status_code
            raise MCPError(error["code"], text, error.get("data"), status, answer.headers)
        if message["id"] != request_id:
            raise ResponseError(f"{method} was answered with id {message['id']!r}", 200, {}, "")
        return message["result"], answer.notifications

    async def _send(
        self,
        method: str,
        params: dict[str, Any],
        meta: Mapping[str, Any] | None,
        headers: list[tuple[str, str]],
        request_id: int | None = None,
    ) -> Answer:
        if self._stack is None:
            raise RuntimeError("the client is not open: use `async with AsyncTestClient(...)`")
        envelope = self._envelope(method, params, meta)
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": envelope}
        if request_id is not None:
            body["id"] = request_id
        all_headers = [
            ("content-type", "application/json"),
            ("accept", ACCEPT),
            ("host", "localhost"),
            *self._routing_headers(method, params),
            *headers,
        ]
        named = {name for name, _ in self._headers}
        all_headers = [h for h in all_headers if h[0] not in named] + self._headers
        scope = http_scope(self.path, all_headers, {"state": dict(self._state)})
        scope.update(self._scope_extra)
        with anyio.fail_after(self._timeout):
            response = await post(self.app, scope, to_json(body))
        return read_answer(response)

    def _envelope(
        self, method: str, params: dict[str, Any], meta: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        full: dict[str, Any] = {}
        if self._modern:
            full[META_PROTOCOL_VERSION] = self.protocol
            full[META_CLIENT_CAPABILITIES] = self._capabilities
            full[META_CLIENT_INFO] = dict(CLIENT_INFO)
        if self._log_level is not None:
            full[META_LOG_LEVEL] = self._log_level
        full.update(meta or {})
        return {**params, "_meta": full} if full else params

    def _routing_headers(self, method: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        if not self._modern:
            if method == "initialize" or self.protocol < _FIRST_VERSION_HEADER:
                return []
            return [("mcp-protocol-version", self.protocol)]
        headers = [("mcp-protocol-version", self.protocol), ("mcp-method", method)]
        entry = METHODS.get(method)
        name = None if entry is None or entry.target is None else params.get(entry.target)
        if isinstance(name, str):
            headers.append(("mcp-name", _header_value(name)))
        return headers


def _add_input_round(
    params: dict[str, Any], responses: Mapping[str, Any] | None, state: str | None
) -> None:
    if responses is not None:
        params["inputResponses"] = dict(responses)
    if state is not None:
        params["requestState"] = state


def _with_progress(
    meta: Mapping[str, Any] | None, progress_token: str | int | None
) -> Mapping[str, Any] | None:
    if progress_token is None:
        return meta
    return {META_PROGRESS_TOKEN: progress_token, **(meta or {})}


def _rendered(value: Any) -> str | None:
    """An argument as its `Mcp-Param-*` header carries it; `None` for no header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def _header_value(text: str) -> str:
    """`text`, or its `=?base64?...?=` form when a header cannot carry it as it is."""
    plain = text.isascii() and text.isprintable() and text == text.strip(" \t")
    if plain and not text.startswith("=?"):
        return text
    return "=?base64?" + base64.b64encode(text.encode()).decode("ascii") + "?="
