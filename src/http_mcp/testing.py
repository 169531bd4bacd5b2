"""An in-process MCP client for testing a server: the real app, no socket.

`TestClient` (plain test functions) and `AsyncTestClient` (async tests) drive your server the
way a client over the network would: they run the application's lifespan, POST each request
through the whole ASGI app, middleware included, and read the JSON or event-stream answer.
Tools see the same lifespan state as when served, what the caller's scopes hide stays
hidden, and a validation failure reads exactly as a model reads it.

`TestClient` runs the app on an event loop in a background thread, so a plain `def test_...`
needs no async plugin; in an async test use `AsyncTestClient`, which runs on the test's own
loop. Both speak either protocol era and have the same methods. What the lifespan opens (a
connection pool, say) lives on the loop the requests run on, as when served.

Example:
    ```python
    from http_mcp.testing import TestClient

    from myproject.server import app


    def test_a_bad_id_is_explained_to_the_model() -> None:
        with TestClient(app) as client:
            result = client.call_tool("get_fix_metadata", {"vulnerability_id": "abc"})
        assert "vulnerability_id: must be a valid UUID4" in result.text
    ```

    One client for several tests, as a fixture:

    ```python
    @pytest.fixture
    def client() -> Iterator[TestClient]:
        with TestClient(app, scopes=["mcp:read"]) as client:
            yield client
    ```

Errors:
    `MCPError` for a JSON-RPC error answer (an unknown tool, invalid params);
    `ResponseError` for a response that is not JSON-RPC (a 401 from an authentication
    middleware); `LifespanError` when the application's startup fails; `TimeoutError` when
    a request takes longer than the client's `timeout`. An exception raised by the app
    itself (not by a tool: tools answer with error results) propagates as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable, Mapping
from contextlib import ExitStack
from types import TracebackType
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from http_mcp import _public
from http_mcp._channel import LogLevel
from http_mcp._lifespan import LifespanError
from http_mcp._testing_asgi import ResponseError
from http_mcp._testing_client import MODERN as _MODERN
from http_mcp._testing_client import AsyncTestClient
from http_mcp._testing_results import (
    CallToolResult,
    Completion,
    GetPromptResult,
    ListedPrompt,
    ListedResource,
    ListedTool,
    LogMessage,
    MCPError,
    Notifications,
    Progress,
    ReadResourceResult,
    ServerInfo,
)
from http_mcp.server import MCPServer

__all__ = [
    "AsyncTestClient",
    "CallToolResult",
    "Completion",
    "GetPromptResult",
    "LifespanError",
    "ListedPrompt",
    "ListedResource",
    "ListedTool",
    "LogMessage",
    "MCPError",
    "Notifications",
    "Progress",
    "ReadResourceResult",
    "ResponseError",
    "ServerInfo",
    "TestClient",
]

_T = TypeVar("_T")


class TestClient:
    """Drives an MCP server in process, from plain (not async) tests. Use it with `with`.

    Takes the same arguments as `AsyncTestClient` and has the same methods, blocking. The
    app runs on an asyncio event loop in a background thread for as long as the `with`
    block lasts: entering runs the lifespan's startup, leaving its shutdown.

    Example:
        ```python
        def test_scoped_tool_is_hidden_without_its_scope() -> None:
            with TestClient(app, scopes=[]) as client:
                assert "get_fix_metadata" not in [t.name for t in client.list_tools()]
            with TestClient(app, scopes=["mcp:read"]) as client:
                assert "get_fix_metadata" in [t.name for t in client.list_tools()]
        ```
    """

    __test__ = False  # not a test class, whatever pytest's name patterns say

    def __init__(
        self,
        app: MCPServer | ASGIApp,
        *,
        path: str = "/mcp",
        protocol: str = _MODERN,
        scopes: Iterable[str] | None = None,
        headers: Mapping[str, str] | None = None,
        state: Mapping[str, Any] | None = None,
        capabilities: Mapping[str, Any] | None = None,
        log_level: LogLevel | None = None,
        timeout: float | None = 30.0,
    ) -> None:
        self.client = AsyncTestClient(
            app,
            path=path,
            protocol=protocol,
            scopes=scopes,
            headers=headers,
            state=state,
            capabilities=capabilities,
            log_level=log_level,
            timeout=timeout,
        )
        self._portal: BlockingPortal | None = None
        self._stack: ExitStack | None = None

    @property
    def server(self) -> ServerInfo:
        """What the server said of itself when the client greeted it."""
        return self.client.server

    def __enter__(self) -> TestClient:
        with ExitStack() as stack:
            portal = stack.enter_context(start_blocking_portal("asyncio"))
            stack.enter_context(portal.wrap_async_context_manager(self.client))
            self._portal = portal
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._stack, self._portal = self._stack, None, None
        if stack is not None:
            stack.__exit__(exc_type, exc, traceback)

    def list_tools(self) -> list[ListedTool]:
        """Every tool the caller may see (`AsyncTestClient.list_tools`)."""
        return self._run(self.client.list_tools)

    def list_prompts(self) -> list[ListedPrompt]:
        """Every prompt the caller may see (`AsyncTestClient.list_prompts`)."""
        return self._run(self.client.list_prompts)

    def list_resources(self) -> list[ListedResource]:
        """Every resource the caller may see (`AsyncTestClient.list_resources`)."""
        return self._run(self.client.list_resources)

    def list_resource_templates(self) -> list[ListedResource]:
        """Every resource template the caller may see."""
        return self._run(self.client.list_resource_templates)

    def call_tool(
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

        See `AsyncTestClient.call_tool` for the arguments.

        Raises:
            MCPError: a protocol error, e.g. an unknown or hidden tool (-32602).
        """
        call = functools.partial(
            self.client.call_tool,
            name,
            arguments,
            progress_token=progress_token,
            input_responses=input_responses,
            request_state=request_state,
            meta=meta,
        )
        return self._run(call)

    def get_prompt(
        self,
        name: str,
        arguments: Mapping[str, str] | None = None,
        *,
        progress_token: str | int | None = None,
        input_responses: Mapping[str, Any] | None = None,
        request_state: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> GetPromptResult:
        """Get a prompt's messages (`AsyncTestClient.get_prompt`)."""
        call = functools.partial(
            self.client.get_prompt,
            name,
            arguments,
            progress_token=progress_token,
            input_responses=input_responses,
            request_state=request_state,
            meta=meta,
        )
        return self._run(call)

    def read_resource(
        self, uri: str, *, meta: Mapping[str, Any] | None = None
    ) -> ReadResourceResult:
        """Read a resource by URI (`AsyncTestClient.read_resource`)."""
        return self._run(functools.partial(self.client.read_resource, uri, meta=meta))

    def complete(
        self,
        argument: str,
        value: str = "",
        *,
        prompt: str | None = None,
        resource_template: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> Completion:
        """Suggested values of an argument (`AsyncTestClient.complete`)."""
        call = functools.partial(
            self.client.complete,
            argument,
            value,
            prompt=prompt,
            resource_template=resource_template,
            context=context,
        )
        return self._run(call)

    def request(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send any request and return the raw `result` (`AsyncTestClient.request`)."""
        return self._run(functools.partial(self.client.request, method, params))

    def _run(self, call: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        if self._portal is None:
            raise RuntimeError("the client is not open: use `with TestClient(...) as client:`")
        result: _T = self._portal.call(call)
        return result


_public.publish(__name__, globals(), __all__)
