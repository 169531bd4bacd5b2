"""Shared fixtures: in-process wire access, modern-envelope helpers and a real uvicorn socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route
from starlette.types import ASGIApp

from http_mcp import MCPServer

pytest_plugins = ["tests.redis_support"]

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
URL = "http://127.0.0.1/mcp"
STARTUP_TIMEOUT = 5.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# The event loops http-mcp supports. Modules that test its asyncio fast paths run on each,
# with an `anyio_backend` fixture of their own parametrized by this list.
EVENT_LOOPS = [
    pytest.param(("asyncio", {}), id="asyncio"),
    pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop"),
]


class HeaderScopes(AuthenticationBackend):
    """Test backend: the scopes are the words of the `X-Scopes` header."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any] | None:
        header = conn.headers.get("x-scopes")
        if header is None:
            return None
        return AuthCredentials(header.split()), SimpleUser("tester")


def starlette_app(server: MCPServer, **kwargs: Any) -> Starlette:
    """The server mounted at /mcp, behind an auth middleware reading `X-Scopes`."""
    return Starlette(
        routes=[Route("/mcp", server.app, methods=["POST", "GET", "DELETE", "PUT"])],
        middleware=[Middleware(AuthenticationMiddleware, backend=HeaderScopes())],
        **kwargs,
    )


def modern_meta(capabilities: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": dict(capabilities or {}),
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1"},
    }


def modern_request(
    method: str, params: Mapping[str, Any] | None = None, request_id: int | str = 1
) -> tuple[dict[str, Any], dict[str, str]]:
    """A 2026-07-28 request body and the routing headers that go with it."""
    body_params = {**(params or {}), "_meta": modern_meta()}
    headers = {"mcp-protocol-version": MODERN, "mcp-method": method}
    name = (params or {}).get("uri" if method == "resources/read" else "name")
    if isinstance(name, str):
        headers["mcp-name"] = name
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": body_params}
    return body, headers


def legacy_request(
    method: str, params: Mapping[str, Any] | None = None, request_id: int | str = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        body["params"] = dict(params)
    return body


class Wire:
    """Posts to an ASGI app in-process, the way a client would over the network."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def modern(
        self, method: str, params: Mapping[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        body, routing = modern_request(method, params)
        return await self.post(body, {**routing, **_dashed(headers)})

    async def legacy(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        version: str | None = LEGACY,
        **headers: str,
    ) -> httpx.Response:
        extra = {"mcp-protocol-version": version} if version else {}
        return await self.post(legacy_request(method, params), {**extra, **_dashed(headers)})

    async def post(
        self, body: Any, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        all_headers = {"accept": "application/json, text/event-stream", **(headers or {})}
        if isinstance(body, bytes | str):
            all_headers.setdefault("content-type", "application/json")
            return await self.client.post(URL, content=body, headers=all_headers, **kwargs)
        return await self.client.post(URL, json=body, headers=all_headers, **kwargs)


async def send(
    wire: Wire,
    era: str,
    method: str,
    params: Mapping[str, Any] | None = None,
    /,
    **headers: str,
) -> httpx.Response:
    """Post `method` at the era a test is parametrized with: "modern" or "legacy"."""
    if era == "modern":
        return await wire.modern(method, params, **headers)
    return await wire.legacy(method, params, **headers)


def error_of(
    response: httpx.Response, status: int, code: int, request_id: int | str | None = 1
) -> dict[str, Any]:
    """The JSON-RPC error of `response`, checked for its status, code, id and no traceback."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    body: dict[str, Any] = response.json()
    assert body["id"] == request_id
    assert body["error"]["code"] == code
    assert "result" not in body
    error: dict[str, Any] = body["error"]
    return error


def _dashed(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.replace("_", "-"): value for name, value in headers.items()}


def wire_for(app: ASGIApp) -> Wire:
    return Wire(httpx.AsyncClient(transport=httpx.ASGITransport(app=app)))


@pytest.fixture
async def wire_of() -> AsyncIterator[Any]:
    """Factory: `wire_of(server)` gives a `Wire` to that server mounted at /mcp."""
    opened: list[Wire] = []

    def make(server: MCPServer, **kwargs: Any) -> Wire:
        wire = wire_for(starlette_app(server, **kwargs))
        opened.append(wire)
        return wire

    yield make
    for wire in opened:
        await wire.client.aclose()


class _SignallingServer(uvicorn.Server):
    """A uvicorn server that sets `done_starting` once its start-up has succeeded or failed."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.done_starting = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.done_starting.set()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets)
        finally:
            self.done_starting.set()  # it never got to start up


class LiveServer:
    """uvicorn serving an ASGI app on a free loopback port, in a thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._server = _SignallingServer(config)
        self._thread = threading.Thread(target=self._server.run, args=([self._sock],))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self._server.done_starting.wait(STARTUP_TIMEOUT)
        if not self._server.started:  # pragma: no cover - only when uvicorn cannot start
            self._server.should_exit = True
            raise RuntimeError(f"uvicorn did not start within {STARTUP_TIMEOUT} seconds")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


@pytest.fixture
def live() -> Iterator[Any]:
    """Factory: `live(app)` serves `app` over a real socket until the test ends."""
    running: list[LiveServer] = []

    def start(app: ASGIApp) -> LiveServer:
        server = LiveServer(app)
        server.__enter__()
        running.append(server)
        return server

    yield start
    for server in running:
        server.__exit__(None, None, None)
