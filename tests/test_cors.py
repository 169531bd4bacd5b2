"""CORS: a page on an accepted origin can call the server; a refused origin is granted nothing.

The requests are the ones a browser sends: a preflight `OPTIONS` with the exact headers
Chromium writes (lower-case names, sorted, comma-separated), then the request itself.
"""

from __future__ import annotations

from typing import Any, Final

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from http_mcp import MCPServer
from tests.conftest import modern_request

pytestmark = pytest.mark.anyio

APP_ORIGIN: Final = "https://app.example.com"
REQUESTED_HEADERS: Final = "content-type,mcp-method,mcp-name,mcp-protocol-version"
GRANT_HEADERS: Final = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-allow-credentials",
)


def client(**settings: Any) -> httpx.AsyncClient:
    server = MCPServer(name="cors", version="1.0.0", **settings)
    # As the README mounts it: a Route that leaves the methods, OPTIONS included, to the server.
    transport = httpx.ASGITransport(app=Starlette(routes=[Route("/mcp", server.app)]))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": REQUESTED_HEADERS,
        "accept": "*/*",
        "sec-fetch-mode": "cors",
    }


async def call_from(http: httpx.AsyncClient, origin: str | None) -> httpx.Response:
    body, headers = modern_request("tools/list", {})
    headers |= {"accept": "application/json, text/event-stream"}
    if origin is not None:
        headers["origin"] = origin
    return await http.post("/mcp", json=body, headers=headers)


def grants(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in GRANT_HEADERS if name in response.headers}


async def test_preflight_from_a_listed_origin_is_granted_what_it_asked_for() -> None:
    async with client(allowed_origins=[APP_ORIGIN]) as http:
        response = await http.options("/mcp", headers=preflight(APP_ORIGIN))
    assert response.status_code == 204
    assert response.content == b""
    assert grants(response) == {
        "access-control-allow-origin": APP_ORIGIN,
        "access-control-allow-methods": "POST, GET, DELETE",
        "access-control-allow-headers": REQUESTED_HEADERS,
    }
    assert "Origin" in response.headers["vary"]


async def test_the_call_after_the_preflight_is_readable_by_the_page() -> None:
    async with client(allowed_origins=[APP_ORIGIN]) as http:
        response = await call_from(http, APP_ORIGIN)
    assert response.status_code == 200
    assert "result" in response.json()
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["vary"] == "Origin"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"mcp-session-id", "mcp-protocol-version"} <= exposed
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    ("settings", "origin"),
    [
        pytest.param({"allowed_origins": [APP_ORIGIN]}, "https://evil.example.com", id="unlisted"),
        pytest.param({}, "https://app.example.com", id="cross-origin-by-default"),
        pytest.param({"allowed_origins": [APP_ORIGIN]}, "null", id="null"),
    ],
)
async def test_a_refused_origin_gets_no_grant_in_preflight_or_call(
    settings: dict[str, Any], origin: str
) -> None:
    async with client(**settings) as http:
        refused_preflight = await http.options("/mcp", headers=preflight(origin))
        refused_call = await call_from(http, origin)
    assert refused_preflight.status_code == refused_call.status_code == 403
    assert grants(refused_preflight) == grants(refused_call) == {}


async def test_a_loopback_page_may_call_a_loopback_server_without_settings() -> None:
    async with client() as http:
        allowed = await http.options("/mcp", headers=preflight("http://localhost:3000"))
        response = await call_from(http, "http://localhost:3000")
    assert allowed.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


async def test_any_origin_is_granted_with_a_wildcard() -> None:
    async with client(allowed_origins=["*"]) as http:
        response = await call_from(http, "https://anywhere.example.org")
    assert response.headers["access-control-allow-origin"] == "https://anywhere.example.org"


async def test_errors_and_refused_methods_are_readable_by_an_accepted_page() -> None:
    async with client(allowed_origins=[APP_ORIGIN]) as http:
        get_preflight = await http.options("/mcp", headers=preflight(APP_ORIGIN, "GET"))
        get = await http.get("/mcp", headers={"origin": APP_ORIGIN, "accept": "text/event-stream"})
        wrong_type = await http.post(
            "/mcp",
            content=b"{}",
            headers={"origin": APP_ORIGIN, "content-type": "text/plain", "accept": "*/*"},
        )
    assert get_preflight.status_code == 204
    assert get.status_code == 405
    assert wrong_type.status_code == 415
    for response in (get, wrong_type):
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN


async def test_requests_without_an_origin_get_no_cors_headers() -> None:
    async with client(allowed_origins=[APP_ORIGIN]) as http:
        response = await call_from(http, None)
        options = await http.options("/mcp")
    assert response.status_code == 200
    assert grants(response) == {}
    assert "vary" not in response.headers
    assert options.status_code == 405  # not a preflight: only POST is served


async def test_a_malformed_requested_header_list_is_not_echoed() -> None:
    headers = preflight(APP_ORIGIN) | {"access-control-request-headers": "x-ok, bad header"}
    async with client(allowed_origins=[APP_ORIGIN]) as http:
        response = await http.options("/mcp", headers=headers)
    assert response.status_code == 204
    assert "access-control-allow-headers" not in response.headers
