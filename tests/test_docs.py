"""Every Python sample in the documentation and the README runs, and the servers it builds serve.

Each page's ```python blocks run in order in one fresh module, so a page may build on its
earlier blocks but never on another page. A block that cannot run on its own is preceded by
`<!-- not-run: the reason -->`. Then every `MCPServer` the page left behind answers the list
methods at both protocol eras, every Starlette app it left behind serves MCP over a real socket
(its lifespan running), and every `test_*` function it defined is run, as a user's pytest would.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from http_mcp import MCPServer, _cli
from http_mcp.testing import AsyncTestClient, MCPError
from http_mcp.types import BlobResourceContents
from tests.conftest import LiveServer, modern_request, wire_for

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", flags=re.DOTALL | re.MULTILINE)
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
FILE_NAME = re.compile(r"# (\w+)\.py\n")
CURL_HEADER = re.compile(r"-H '([^:']+): ([^']*)'")
CURL_DATA = re.compile(r"-d '([^']*)'")
LIST_METHODS = ("tools/list", "prompts/list", "resources/list", "resources/templates/list")


@dataclass(frozen=True)
class Block:
    language: str
    source: str
    line: int
    not_run: str | None


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        found.append(
            Block(
                language=match.group(1),
                source=match.group(2),
                line=text.count("\n", 0, match.start()) + 2,
                not_run=marker.group("reason") if marker else None,
            )
        )
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def run_page(page: Path) -> types.ModuleType:
    """Run the page's Python blocks in order in a fresh module, registered while they run.

    A block that starts with `# name.py` is a file of the reader's: it also becomes module
    `name`, so that later blocks can import from it as the page says.
    """
    name = "docs_page_" + re.sub(r"\W", "_", page_id(page))
    module = types.ModuleType(name)
    files: list[str] = []
    sys.modules[name] = module
    try:
        for block in blocks_of(page):
            if block.language != "python" or block.not_run is not None:
                continue
            # Pad so that a traceback points at the line in the Markdown file.
            code = compile("\n" * (block.line - 1) + block.source, str(page), "exec")
            file = FILE_NAME.match(block.source)
            if file is not None:
                files.append(file.group(1))
                sys.modules[file.group(1)] = own = types.ModuleType(file.group(1))
                exec(code, own.__dict__)
                module.__dict__.update(
                    (k, v) for k, v in vars(own).items() if not k.startswith("__")
                )
            else:
                exec(code, module.__dict__)
    finally:
        for registered in [name, *files]:
            sys.modules.pop(registered, None)
    return module


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_skipped_block_says_why_and_skipping_stays_rare(page: Path) -> None:
    blocks = blocks_of(page)
    python = [b for b in blocks if b.language == "python"]
    skipped = [b for b in python if b.not_run is not None]
    assert all(b.not_run for b in skipped), "a not-run marker needs a reason"
    assert len(skipped) <= max(1, len(python) // 4), "make the blocks runnable instead"
    indented = re.search(r"^[ \t]+```python", page.read_text(), flags=re.MULTILINE)
    assert indented is None, "an indented Python block would not be run: move it out"
    for block in blocks:
        assert block.language, f"{page_id(page)}:{block.line}: name the fence's language"
        if block.language == "json":
            json.loads(block.source)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
async def test_page_samples_run_and_their_servers_serve(page: Path) -> None:
    module = run_page(page)
    values = list(vars(module).values())
    for server in [v for v in values if isinstance(v, MCPServer)]:
        await lists_answer(server)
    for app in [v for v in values if isinstance(v, Starlette)]:
        await serves_mcp(app)
    for name, func in vars(module).items():
        if name.startswith("test_") and callable(func):
            await run_user_test(func)


class AllScopes(AuthenticationBackend):
    def __init__(self, scopes: frozenset[str]) -> None:
        self.scopes = scopes

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any]:
        return AuthCredentials(sorted(self.scopes)), SimpleUser("docs")


async def lists_answer(server: MCPServer) -> None:
    """Each list method answers at both eras, for a caller holding every declared scope."""
    scopes = frozenset(
        scope
        for names in server.scoped_names().values()
        for needed in names.values()
        for scope in needed
    )
    app = Starlette(
        routes=[Route("/mcp", server.app, methods=["POST"])],
        middleware=[Middleware(AuthenticationMiddleware, backend=AllScopes(scopes))],
    )
    wire = wire_for(app)
    try:
        for method in LIST_METHODS:
            for response in (await wire.modern(method), await wire.legacy(method)):
                assert response.status_code == 200, response.text
                assert "result" in response.json(), response.text
    finally:
        await wire.client.aclose()


async def serves_mcp(app: Starlette) -> None:
    """Served by uvicorn with its lifespan, the app answers MCP on one of its routes."""
    paths = list(post_paths(app.routes))
    assert paths, "the app has no route that takes a POST"
    with LiveServer(app) as live:
        base = f"http://127.0.0.1:{live.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            answers = [await post_list(client, path) for path in paths]
    assert any(answers), f"no route of the app answered tools/list: {paths}"


async def post_list(client: httpx.AsyncClient, path: str) -> bool:
    body, headers = modern_request("tools/list")
    headers["accept"] = "application/json, text/event-stream"
    with anyio.fail_after(10):
        response = await client.post(path, json=body, headers=headers)
    if response.status_code == 401:  # an OAuth-protected endpoint: it must say where to go
        return "resource_metadata=" in response.headers.get("www-authenticate", "")
    return response.status_code == 200 and "result" in response.json()


def post_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    for route in routes:
        if isinstance(route, Route) and (route.methods is None or "POST" in route.methods):
            yield prefix + route.path
        elif isinstance(route, Mount) and isinstance(route.app, Starlette):
            yield from post_paths(route.app.routes, prefix + route.path)


async def run_user_test(func: Callable[..., Any]) -> None:
    assert not inspect.signature(func).parameters, "doc tests take no fixtures"
    with anyio.fail_after(30):
        result = func()
        if inspect.isawaitable(result):
            await result


# -- what the pages say the server answers is what it answers --------------------------------


def fenced(page: Path, language: str, containing: str = "") -> list[str]:
    return [b.source for b in blocks_of(page) if b.language == language and containing in b.source]


async def answer_to_curl(page: Path, app: ASGIApp) -> Any:
    """Post the page's curl request to `app`, with the headers it sends; the JSON answer."""
    [command] = fenced(page, "bash", containing="curl")
    headers = dict(CURL_HEADER.findall(command))
    data = CURL_DATA.search(command)
    assert data is not None
    wire = wire_for(app)
    try:
        response = await wire.post(data.group(1), headers)
    finally:
        await wire.client.aclose()
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("page", ["quickstart.md", "protocol.md"])
async def test_the_hand_written_request_gets_the_answer_shown(page: str) -> None:
    answer = await answer_to_curl(DOCS / page, run_page(DOCS / page).app)
    [shown] = fenced(DOCS / page, "json", containing='"jsonrpc"')
    assert answer == json.loads(shown)


async def test_the_readme_request_by_hand_gets_the_answer_it_names() -> None:
    readme = ROOT / "README.md"
    [quick_start] = fenced(readme, "python", containing="# server.py")
    module = sys.modules["readme_server"] = types.ModuleType("readme_server")
    try:
        exec(quick_start, module.__dict__)
    finally:
        del sys.modules["readme_server"]
    answer = await answer_to_curl(readme, module.app)
    result = answer["result"]
    assert result["resultType"] == "complete"
    assert result["structuredContent"] == {"version": "2.3.4", "is_breaking_change": False}
    shown = '"structuredContent": {"version": "2.3.4", "is_breaking_change": false}'
    assert shown in readme.read_text()
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == {
        "name": "vulns",
        "version": "1.0.0",
    }


async def test_the_validation_messages_shown_for_tools_are_the_ones_sent() -> None:
    page = DOCS / "tools.md"
    [shown] = fenced(page, "text", containing="package:")
    wire = wire_for(run_page(page).server.app)
    try:
        for arguments, message in [
            ({"package": "", "ecosystem": 7}, shown.strip()),
            ({}, "package: is required"),
        ]:
            response = await wire.legacy("tools/call", {"name": "lookup", "arguments": arguments})
            result = response.json()["result"]
            assert result["isError"] is True
            assert result["content"][0]["text"] == message
            assert message in page.read_text()
    finally:
        await wire.client.aclose()


REFERENCE_MODULES = (
    "http_mcp",
    "http_mcp.types",
    "http_mcp.exceptions",
    "http_mcp.stores",
    "http_mcp.jsonrpc",
    "http_mcp.auth",
    "http_mcp.testing",
    "http_mcp.fastapi",
)


def docstrings_of(module_name: str) -> Iterator[tuple[str, str]]:
    module = importlib.import_module(module_name)
    yield module_name, inspect.getdoc(module) or ""
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name)
        yield f"{module_name}.{name}", inspect.getdoc(value) or ""
        for member_name, member in vars(value).items() if inspect.isclass(value) else ():
            if not member_name.startswith("_"):
                yield f"{module_name}.{name}.{member_name}", inspect.getdoc(member) or ""


DOCSTRING_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", flags=re.DOTALL | re.MULTILINE
)


def test_docstring_examples_in_the_api_reference_are_valid_python() -> None:
    """They are fragments (they name the reader's own functions), so they are compiled only."""
    examples = []
    for module_name in REFERENCE_MODULES:
        for where, doc in docstrings_of(module_name):
            for match in DOCSTRING_FENCE.finditer(doc):
                body = textwrap.indent(textwrap.dedent(match.group("code")), "    ")
                compile(f"async def example():\n{body}", where, "exec")  # allows `return`
                examples.append(where)
    assert len(examples) >= 10, examples


def test_every_public_module_has_an_api_reference_page() -> None:
    package = ROOT / "src" / "http_mcp"
    public = {
        f"http_mcp.{path.stem}"
        for path in [*package.glob("*.py"), *package.glob("*/__init__.py")]
        if not path.stem.startswith("_") and path.stem != "server"
    }
    public |= {
        f"http_mcp.{path.parent.name}"
        for path in package.glob("*/__init__.py")
        if not path.parent.name.startswith("_")
    }
    public.discard("http_mcp.__init__")
    documented = set(re.findall(r"^::: ([\w.]+)", read_reference(), flags=re.MULTILINE))
    missing = sorted(public - documented)
    assert not missing, f"add a page under docs/reference/ (and the nav) for {missing}"


def read_reference() -> str:
    return "\n".join(page.read_text() for page in sorted((DOCS / "reference").glob("*.md")))


def test_the_deployment_guide_lists_every_option_of_http_mcp_run() -> None:
    parser = _cli._parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    options = {
        option
        for action in commands.choices["run"]._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    table = (DOCS / "deployment.md").read_text()
    listed = set(re.findall(r"^\| `(--[\w-]+)", table, flags=re.MULTILINE))
    assert listed == options, "keep the options table of docs/deployment.md in step with the CLI"


async def test_the_prompt_guide_shows_the_errors_and_completions_sent() -> None:
    page = DOCS / "prompts.md"
    module = run_page(page)
    async with AsyncTestClient(module.completing) as client:
        with pytest.raises(MCPError) as invalid:
            await client.get_prompt("triage", {})
        completion = await client.complete("package", "dj", prompt="triage")
        policy = await client.get_prompt("triage", {"package": "django"})
    assert invalid.value.code == -32602
    assert f"`{invalid.value.message}`" in page.read_text()
    assert completion.values == ("django", "djangorestframework")
    assert policy.text == "A high vulnerability affects django."


async def test_the_resource_guide_shows_what_reading_answers() -> None:
    module = run_page(DOCS / "resources.md")
    known = "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"
    async with AsyncTestClient(module.server) as client:
        with pytest.raises(MCPError) as not_a_uuid:
            await client.read_resource("vulns://advisory/abc")
        advisory = await client.read_resource(f"vulns://advisory/{known}")
        logo = await client.read_resource("assets://logo.png")
        suggested = await client.complete(
            "vulnerability_id", "3f", resource_template="vulns://advisory/{vulnerability_id}"
        )
    assert not_a_uuid.value.code == -32602
    assert advisory.text.startswith("# requests")
    assert isinstance(logo.contents[0], BlobResourceContents)
    assert suggested.values == (known,)


async def test_the_scope_guide_hides_what_it_says_it_hides() -> None:
    module = run_page(DOCS / "auth.md")
    async with AsyncTestClient(module.app) as anonymous:
        assert [tool.name for tool in await anonymous.list_tools()] == ["list_advisories"]
        with pytest.raises(MCPError) as hidden:
            await anonymous.call_tool("delete_advisory", {"advisory_id": 1})
    ops = {"x-api-key": "key-of-the-ops-team"}
    async with AsyncTestClient(module.app, headers=ops) as client:
        deleted = await client.call_tool("delete_advisory", {"advisory_id": 1})
    assert hidden.value.code == -32602
    assert deleted.text == "deleted 1"
    with pytest.raises(MCPError) as refused:
        async with AsyncTestClient(module.protected):
            pass  # greeting the server without a token is refused
    assert refused.value.status_code == 401
    assert "resource_metadata=" in refused.value.headers["www-authenticate"]


async def test_the_tool_guide_shows_how_errors_reach_the_model() -> None:
    module = run_page(DOCS / "tools.md")
    server = MCPServer(name="errors", version="1", tools=[module.strict, module.lenient])
    unknown = {"package": "left-pad"}
    async with AsyncTestClient(server) as client:
        strict = await client.call_tool("latest_release", unknown)
        lenient = await client.call_tool("latest_release_lenient", unknown)
    message = "unknown package 'left-pad'; known packages: requests, django"
    assert (strict.is_error, strict.text) == (True, message)
    assert (lenient.is_error, lenient.structured_content) == (False, {"error": message})


def test_the_readme_links_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    assert local, "the README links to the documentation"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"
