"""Serve an MCPServer as a FastAPI path operation, so that FastAPI's dependencies guard it.

`api.add_route("/mcp", server.app)` adds a plain Starlette route, and FastAPI runs no
dependencies for it: not the application's `FastAPI(dependencies=[...])` either, so an API
key check declared there leaves every tool open. `add_mcp_route` makes the endpoint an
ordinary FastAPI path operation instead: the application's dependencies, the router's and its
own run before any MCP message is read, and a dependency that raises (`HTTPException(401)`)
answers the request.

The caller's scopes, which decide the tools, prompts and resources it sees, can come from a
FastAPI dependency too: `scopes=` names one that returns what the caller was granted.

Needs FastAPI (`pip install '.[fastapi]'`); the rest of http-mcp never imports it.

Example:
    ```python
    from fastapi import Depends, FastAPI, Header, HTTPException

    from http_mcp.fastapi import add_mcp_route


    def require_api_key(x_api_key: str = Header()) -> None:
        if x_api_key != API_KEY:
            raise HTTPException(status_code=401)


    def granted_scopes(authorization: str = Header("")) -> list[str]:
        return scopes_of_token(authorization.removeprefix("Bearer "))


    api = FastAPI(dependencies=[Depends(require_api_key)])
    add_mcp_route(api, server, scopes=granted_scopes)
    ```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from inspect import Parameter, Signature
from typing import Any

from starlette.authentication import AuthCredentials
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from http_mcp.server import MCPServer

try:
    from fastapi import APIRouter, Depends, FastAPI
    from fastapi.params import Depends as DependsParam
except ImportError as exc:  # pragma: no cover - only without the fastapi extra
    raise ImportError("http_mcp.fastapi needs FastAPI: pip install 'http-mcp[fastapi]'") from exc

__all__ = ["ScopesDependency", "add_mcp_route"]

ScopesDependency = Callable[..., Iterable[str] | Awaitable[Iterable[str]]]
"""A FastAPI dependency returning the caller's scopes: strings, or one space-separated string."""


def add_mcp_route(
    app: FastAPI | APIRouter,
    server: MCPServer,
    path: str = "/mcp",
    *,
    dependencies: Sequence[DependsParam] | None = None,
    scopes: ScopesDependency | None = None,
    include_in_schema: bool = False,
) -> None:
    """Serve `server` at `path` as a path operation of `app`, guarded by its dependencies.

    The dependencies of the application (`FastAPI(dependencies=[...])`), of the routers the
    route ends up in, and `dependencies` run for every request before any MCP message is
    read; a dependency that raises `HTTPException` answers the request.

    Args:
        app: The FastAPI application, or an `APIRouter` that you include in one.
        server: The MCP server to serve.
        path: The endpoint's path.
        dependencies: More dependencies for this endpoint only, e.g.
            `[Security(verify_token, scopes=["mcp"])]`.
        scopes: A dependency returning the caller's scopes, which then decide what the
            caller sees and may call. Without it the scopes come from Starlette's
            `AuthenticationMiddleware` (`request.auth.scopes`), or are empty.
        include_in_schema: Whether the endpoint appears in the OpenAPI schema.
    """
    app.add_api_route(
        path,
        _Endpoint(server, scopes),
        methods=["POST", "GET", "DELETE"],  # GET and DELETE: the server answers 405
        dependencies=list(dependencies or ()),
        include_in_schema=include_in_schema,
        name="mcp",
    )


_FROM_MIDDLEWARE: Any = object()


class _Endpoint:
    """The path operation: once FastAPI's dependencies passed, the request goes on unread."""

    def __init__(self, server: MCPServer, scopes: ScopesDependency | None) -> None:
        self.server = server  # how `http-mcp run --stdio` finds the server in an app
        parameters = [Parameter("request", Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
        if scopes is not None:
            parameters.append(Parameter("granted", Parameter.KEYWORD_ONLY, default=Depends(scopes)))
        # What FastAPI reads to know the endpoint's parameters and dependencies.
        self.__signature__ = Signature(parameters, return_annotation=Response)

    async def __call__(self, request: Request, granted: Any = _FROM_MIDDLEWARE) -> Response:
        scopes = None if granted is _FROM_MIDDLEWARE else _scope_list(granted)
        return _Forward(self.server.app, scopes)


def _scope_list(granted: Any) -> list[str]:
    if isinstance(granted, str):
        return granted.split()
    scopes = list(granted) if isinstance(granted, Iterable) else None
    if scopes is None or not all(isinstance(scope, str) for scope in scopes):
        raise TypeError(f"the scopes dependency must return strings, got {granted!r}")
    return scopes


class _Forward(Response):
    """Hands the request, unread, to the MCP endpoint."""

    def __init__(self, app: ASGIApp, scopes: list[str] | None) -> None:
        super().__init__()
        self._app = app
        self._scopes = scopes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._scopes is not None:
            scope = {**scope, "auth": AuthCredentials(self._scopes)}
        await self._app(scope, receive, send)
        if self.background is not None:
            await self.background()
