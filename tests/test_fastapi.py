"""`http_mcp.fastapi`: FastAPI's dependencies guard the MCP endpoint, and can grant its scopes."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated, Any, Final

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Security
from fastapi.security import SecurityScopes
from mcp.shared.exceptions import MCPError

from http_mcp import MCPServer
from http_mcp._target import find_server
from http_mcp.fastapi import add_mcp_route
from http_mcp.types import Arguments, Tool
from tests.conftest import LEGACY, MODERN, legacy_request, modern_request
from tests.fixtures.stdio_server import EchoInput
from tests.support import sdk_client

pytestmark = pytest.mark.anyio

API_KEY: Final = "the api key"
ADMIN_TOKEN: Final = "admin-token"
SECRET: Final = "the launch codes"
ACCEPT: Final = {"accept": "application/json, text/event-stream"}
KEY: Final = {"x-api-key": API_KEY}
ADMIN: Final = {**KEY, "authorization": f"Bearer {ADMIN_TOKEN}"}


def echo(arguments: Arguments[EchoInput]) -> str:
    """Say the text back."""
    return arguments.inputs.text


def launch_codes() -> str:
    """Only for callers granted secret:read."""
    return SECRET


def make_server() -> MCPServer:
    return MCPServer(
        name="fastapi-guarded",
        version="1.0.0",
        tools=(Tool(func=echo, inputs=EchoInput), Tool(func=launch_codes, scopes=("secret:read",))),
    )


def require_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if x_api_key != API_KEY:
        raise HTTPException(status_code=401, detail="a valid X-API-Key is required")


def granted_scopes(authorization: Annotated[str, Header()] = "") -> str:
    """The caller's identity, as FastAPI resolves it, decides the scopes (space-separated)."""
    return "secret:read mcp" if authorization == f"Bearer {ADMIN_TOKEN}" else "mcp"


def require_security_scopes(
    security: SecurityScopes, scopes: Annotated[str, Depends(granted_scopes)]
) -> None:
    missing = set(security.scopes) - set(scopes.split())
    if missing:
        raise HTTPException(status_code=403, detail=f"missing scopes: {sorted(missing)}")


def guarded_api() -> FastAPI:
    api = FastAPI(dependencies=[Depends(require_api_key)])
    add_mcp_route(api, make_server(), scopes=granted_scopes)
    return api


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def tool_names(http: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    body, modern = modern_request("tools/list", {})
    response = await http.post("/mcp", json=body, headers={**ACCEPT, **modern, **headers})
    assert response.status_code == 200, response.text
    return {tool["name"] for tool in response.json()["result"]["tools"]}


async def call_launch_codes(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    body = legacy_request("tools/call", {"name": "launch_codes", "arguments": {}})
    return await http.post(
        "/mcp", json=body, headers={**ACCEPT, "mcp-protocol-version": LEGACY, **headers}
    )


async def test_add_route_is_not_guarded_by_app_dependencies_which_is_why_add_mcp_route_exists() -> (
    None
):
    api = FastAPI(dependencies=[Depends(require_api_key)])
    api.add_route("/mcp", make_server().app)  # type: ignore[arg-type]
    async with client(api) as http:
        assert await tool_names(http, {}) == {"echo"}  # no API key, yet served


async def test_app_dependencies_guard_the_endpoint_before_any_message_is_read() -> None:
    async with client(guarded_api()) as http:
        names = await tool_names(http, KEY)
        refused = await http.post("/mcp", content=b"not even json", headers=ACCEPT)
    assert names == {"echo"}
    assert refused.status_code == 401
    assert refused.json() == {"detail": "a valid X-API-Key is required"}


async def test_secret_tool_is_hidden_and_refused_without_the_granted_scope() -> None:
    async with client(guarded_api()) as http:
        hidden = await tool_names(http, KEY)
        refused = await call_launch_codes(http, KEY)
        unknown = await http.post(
            "/mcp",
            json=legacy_request("tools/call", {"name": "no_such_tool", "arguments": {}}),
            headers={**ACCEPT, "mcp-protocol-version": LEGACY, **KEY},
        )
        visible = await tool_names(http, ADMIN)
        answered = await call_launch_codes(http, ADMIN)
    assert hidden == {"echo"}
    # Answered exactly as a name that does not exist, so nothing tells that it does.
    assert refused.text.replace("launch_codes", "NAME") == unknown.text.replace(
        "no_such_tool", "NAME"
    )
    assert "error" in refused.json()
    assert visible == {"echo", "launch_codes"}
    assert answered.json()["result"]["content"] == [{"type": "text", "text": SECRET}]


async def test_endpoint_dependencies_and_security_scopes_apply_to_it_alone() -> None:
    api = FastAPI()
    admin = APIRouter(prefix="/admin")
    add_mcp_route(
        admin,
        make_server(),
        dependencies=[Security(require_security_scopes, scopes=["secret:read"])],
        scopes=granted_scopes,
    )
    api.include_router(admin)
    add_mcp_route(api, make_server())
    async with client(api) as http:
        forbidden = await http.post("/admin/mcp", json={}, headers={**ACCEPT, **KEY})
        body, headers = modern_request("tools/list", {})
        granted = await http.post("/admin/mcp", json=body, headers={**ACCEPT, **headers, **ADMIN})
        open_names = await tool_names(http, {})
        get = await http.get("/mcp", headers=ACCEPT)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "missing scopes: ['secret:read']"}
    assert {tool["name"] for tool in granted.json()["result"]["tools"]} == {"echo", "launch_codes"}
    assert open_names == {"echo"}  # no scopes dependency and no authentication: no scopes
    assert get.status_code == 405
    assert "/mcp" not in api.openapi()["paths"]


async def test_a_scopes_dependency_returning_something_else_is_a_programmer_error() -> None:
    api = FastAPI()
    add_mcp_route(api, make_server(), scopes=lambda: [1, 2])  # type: ignore[list-item]
    async with client(api) as http:
        body, headers = modern_request("tools/list", {})
        with pytest.raises(TypeError, match="the scopes dependency must return strings"):
            await http.post("/mcp", json=body, headers={**ACCEPT, **headers})


@pytest.mark.parametrize(("mode", "version"), [("auto", MODERN), ("legacy", LEGACY)])
async def test_sdk_client_sees_the_secret_tool_only_when_fastapi_grants_it(
    live: Any, mode: str, version: str
) -> None:
    url = live(guarded_api()).url
    async with sdk_client(url, mode, headers=KEY) as plain:
        assert plain.protocol_version == version
        plain_tools = {tool.name for tool in (await plain.list_tools()).tools}
        with pytest.raises(MCPError) as refused:
            await plain.call_tool("launch_codes", {})
    async with sdk_client(url, mode, headers=ADMIN) as admin:
        admin_tools = {tool.name for tool in (await admin.list_tools()).tools}
        answered = await admin.call_tool("launch_codes", {})
    assert plain_tools == {"echo"}
    assert refused.value.error.code == -32602
    assert SECRET not in str(refused.value)
    assert admin_tools == {"echo", "launch_codes"}
    assert not answered.is_error
    assert answered.content[0].text == SECRET  # type: ignore[union-attr]


def test_the_core_package_does_not_import_fastapi() -> None:
    code = (
        "import sys, http_mcp, http_mcp.server, http_mcp.types, http_mcp._cli; "
        "print('fastapi' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert completed.stdout == "False\n"


def test_the_command_finds_the_server_of_a_fastapi_app_for_stdio() -> None:
    api = FastAPI()
    server = make_server()
    add_mcp_route(api, server, "/tools/mcp")
    assert find_server(api) == (server, "/tools/mcp")
