"""The catalogue page over ASGI: headers, escaping, scope filtering, methods, refusals."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from http_mcp import MCPServer
from http_mcp._catalog import CatalogApp
from http_mcp._catalog._listing import MAX_PAGES
from tests.fixtures.catalog_server import HOSTILE, CookieScopes, app, server
from tests.test_docs import run_page

pytestmark = pytest.mark.anyio

PAGE = "http://127.0.0.1/mcp/catalog"
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DATA_BLOCK = re.compile(r'<script type="application/json" id="catalog-data">(.*?)</script>', re.S)
INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


def page_data(response: httpx.Response) -> dict[str, Any]:
    match = DATA_BLOCK.search(response.text)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def names(data: dict[str, Any], kind: str, field: str = "name") -> list[str]:
    return [item[field] for item in data[kind]]


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    pairs = (part.strip().partition(" ") for part in policy.split(";"))
    return {name: value for name, _, value in pairs}


async def test_page_is_html_with_a_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = directives(response)
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert policy["img-src"] == "data:"
    assert policy["form-action"] == policy["frame-ancestors"] == policy["base-uri"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in response.headers["content-security-policy"]
    inline = dict(INLINE.findall(response.text))
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        digest = base64.b64encode(hashlib.sha256(inline[tag].encode()).digest()).decode()
        assert policy[directive] == f"'sha256-{digest}'"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_page_loads_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    page = (await client.get(PAGE)).text
    assert re.findall(r'\b(?:src|href)="([^"]*)"', page) == ["data:,"]
    assert page.count("<script") == 2
    assert "http://" not in page
    assert "https://" not in page


async def test_hostile_descriptions_stay_inside_the_data_block(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE)
    assert HOSTILE not in response.text
    assert "</script><script>" not in response.text
    assert "<img" not in response.text
    block = DATA_BLOCK.search(response.text)
    assert block is not None
    assert "<" not in block.group(1)
    assert ">" not in block.group(1)
    assert "&" not in block.group(1)
    hostile = next(t for t in page_data(response)["tools"] if t["name"] == "hostile_tool")
    assert hostile["description"] == hostile["title"] == HOSTILE


async def test_page_lists_every_page_of_what_an_unscoped_caller_sees(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(PAGE)
    data = page_data(response)
    assert names(data, "tools") == [
        "classify_severity",
        "open_ticket",
        "hostile_tool",
        "render_logo",
        "scan",
    ]
    assert names(data, "prompts") == ["triage"]
    assert names(data, "resources", "uri") == ["reports://latest"]
    assert names(data, "resourceTemplates", "uriTemplate") == ["advisories://{advisory_id}"]
    assert data["scopes"] == {"tools": {}, "prompts": {}, "resources": {}, "resourceTemplates": {}}
    assert data["server"] == {
        "name": "catalog-demo",
        "title": "Vulnerability desk",
        "version": "2.0.0",
    }
    assert data["instructions"] == "Classify first, then open a ticket."
    assert data["endpoint"] == "/mcp"
    for hidden in ("internal_audit", "secret_triage", "audit:read"):
        assert hidden not in response.text


async def test_page_shows_scoped_items_and_their_scopes_to_a_caller_holding_them(
    client: httpx.AsyncClient,
) -> None:
    data = page_data(await client.get(PAGE, headers={"cookie": "scopes=audit:read"}))
    assert "internal_audit" in names(data, "tools")
    assert "secret_triage" in names(data, "prompts")
    assert data["scopes"]["tools"] == {"internal_audit": ["audit:read"]}
    assert data["scopes"]["prompts"] == {"secret_triage": ["audit:read"]}


async def test_tool_list_is_the_one_an_mcp_client_gets(client: httpx.AsyncClient) -> None:
    listed: list[dict[str, Any]] = []
    cursor: str | None = None
    headers = {"accept": "application/json", "mcp-protocol-version": "2025-11-25"}
    while True:
        params = {} if cursor is None else {"cursor": cursor}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}
        result = (await client.post("http://127.0.0.1/mcp", json=body, headers=headers)).json()
        listed.extend(result["result"]["tools"])
        cursor = result["result"].get("nextCursor")
        if cursor is None:
            break
    assert page_data(await client.get(PAGE))["tools"] == listed


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_methods_other_than_get_and_head_are_refused(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, PAGE)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


async def test_head_answers_the_headers_of_get_without_a_body(client: httpx.AsyncClient) -> None:
    get = await client.get(PAGE)
    head = await client.head(PAGE)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers == get.headers


async def test_a_host_the_endpoint_refuses_gets_no_page(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE, headers={"host": "evil.example.com"})
    assert response.status_code == 421
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "classify_severity" not in response.text
    refused_head = await client.head(PAGE, headers={"host": "evil.example.com"})
    assert refused_head.status_code == 421
    assert refused_head.content == b""


async def test_page_under_a_mount_posts_to_the_endpoint_under_the_same_prefix() -> None:
    routes = [Route("/mcp", server.app), Route("/catalog", server.catalog_app())]
    mounted = Starlette(
        routes=[Mount("/api", routes=routes)],
        middleware=[Middleware(AuthenticationMiddleware, backend=CookieScopes())],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted)) as client:
        response = await client.get("http://127.0.0.1/api/catalog")
    assert response.status_code == 200
    assert page_data(response)["endpoint"] == "/api/mcp"


@pytest.mark.parametrize("endpoint", ["mcp", "//evil.example.com/mcp", "/mcp?x=1", "/a b", ""])
def test_endpoint_must_be_a_path(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint must be the path"):
        server.catalog_app(endpoint=endpoint)


async def test_server_without_prompts_or_resources_shows_empty_lists() -> None:
    bare = MCPServer(name="bare", version="1")
    catalog = Starlette(routes=[Route("/mcp", bare.app), Route("/c", bare.catalog_app())])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=catalog)) as client:
        data = page_data(await client.get("http://127.0.0.1/c"))
    assert data["tools"] == data["prompts"] == data["resources"] == []
    assert data["instructions"] is None
    assert data["server"] == {"name": "bare", "version": "1"}


def stand_in(answer: Callable[[dict[str, Any]], tuple[int, bytes]]) -> Any:
    """An endpoint that answers each JSON-RPC request with `answer(request)`."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        status, body = answer(json.loads(message["body"]))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return endpoint


def initialize_then(answer: Callable[[dict[str, Any]], tuple[int, bytes]]) -> Any:
    def respond(request: dict[str, Any]) -> tuple[int, bytes]:
        if request["method"] == "initialize":
            result = {"serverInfo": {"name": "s", "version": "1"}, "capabilities": {"tools": {}}}
            return 200, json.dumps(
                {"jsonrpc": "2.0", "id": request["id"], "result": result}
            ).encode()
        return answer(request)

    return stand_in(respond)


def error(code: int) -> Callable[[dict[str, Any]], tuple[int, bytes]]:
    def respond(request: dict[str, Any]) -> tuple[int, bytes]:
        body = {"jsonrpc": "2.0", "id": request["id"], "error": {"code": code, "message": "no"}}
        return 200, json.dumps(body).encode()

    return respond


async def get_page(endpoint: Any) -> httpx.Response:
    catalog = CatalogApp(endpoint, {}, "/mcp")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=catalog)) as client:
        return await client.get("http://127.0.0.1/")


async def test_an_endpoint_that_does_not_know_a_list_method_lists_nothing() -> None:
    response = await get_page(initialize_then(error(-32601)))
    assert response.status_code == 200
    assert page_data(response)["tools"] == []


@pytest.mark.parametrize(
    "endpoint",
    [
        initialize_then(error(-32603)),
        initialize_then(lambda request: (200, b"not json")),
        stand_in(lambda request: (200, b'{"jsonrpc": "2.0", "id": 1, "result": {}}')),
        stand_in(lambda request: (200, b"[]")),
    ],
    ids=["error", "not-json", "no-server-info", "array"],
)
async def test_an_endpoint_that_misbehaves_gets_a_clear_502(endpoint: Any) -> None:
    response = await get_page(endpoint)
    assert response.status_code == 502
    assert response.text.startswith("The MCP endpoint ")
    assert "Traceback" not in response.text


async def test_listing_reads_a_body_sent_in_parts_and_stops_at_a_page_limit() -> None:
    pages = 0

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal pages
        request = json.loads((await receive())["body"])
        if request["method"] == "initialize":
            result: dict[str, Any] = {"serverInfo": {"name": "s"}, "capabilities": {"tools": {}}}
        else:
            pages += 1
            result = {"tools": "not a list" if pages == 1 else [{"name": f"t{pages}"}]}
            result["nextCursor"] = "again"
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body[:5], "more_body": True})
        await send({"type": "http.response.body", "body": body[5:]})
        assert (await receive())["type"] == "http.disconnect"

    response = await get_page(endpoint)
    assert response.status_code == 200
    assert pages == MAX_PAGES
    assert names(page_data(response), "tools") == [f"t{n}" for n in range(2, MAX_PAGES + 1)]


async def test_readme_catalogue_block_serves_the_quick_start_server(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    for marker in ("# server.py", "# catalog.py"):
        block = next(block for block in blocks if block.startswith(marker))
        (tmp_path / marker.removeprefix("# ")).write_text(block)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("catalog")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("catalog", None)
        sys.modules.pop("server", None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=module.app)) as client:
        response = await client.get(PAGE)
    assert response.status_code == 200
    assert names(page_data(response), "tools") == ["get_fix_metadata"]


async def test_docs_page_sample_shows_scoped_tools_to_the_session_that_holds_the_scope() -> None:
    module = run_page(ROOT / "docs" / "catalog.md")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=module.app)) as client:
        anonymous = page_data(await client.get(PAGE))
        admin = page_data(await client.get(PAGE, headers={"cookie": "session=admin"}))
    assert names(anonymous, "tools") == ["classify_severity"]
    assert names(admin, "tools") == ["classify_severity", "purge_cache"]
    assert admin["scopes"]["tools"] == {"purge_cache": ["admin"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=module.api)) as client:
        mounted = page_data(await client.get("http://127.0.0.1/api/catalog"))
    assert mounted["endpoint"] == "/api/mcp"
    assert names(mounted, "tools") == ["classify_severity"]


async def test_a_hostile_server_title_is_escaped_in_the_heading() -> None:
    titled = MCPServer(name="n", version="1", title='<script>alert("t")</script>&')
    catalog = Starlette(routes=[Route("/mcp", titled.app), Route("/c", titled.catalog_app())])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=catalog)) as client:
        page = (await client.get("http://127.0.0.1/c")).text
    escaped = "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;&amp;"
    assert f"<h1>{escaped}</h1>" in page
    assert f"<title>{escaped} · MCP catalogue</title>" in page
    assert page.count("<script") == 2


def test_importing_the_package_does_not_load_the_catalogue() -> None:
    code = "import sys, http_mcp; print(any('_catalog' in name for name in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert output.stdout.strip() == b"False"


async def test_non_http_scopes_are_ignored() -> None:
    catalog = server.catalog_app()
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("not read")

    async def send(message: Any) -> None:
        sent.append(message)

    await catalog({"type": "websocket"}, receive, send)
    assert sent == []
