"""A page in a real headless Chromium calls the server from another origin.

The page and the server are two uvicorn servers on loopback ports. With the page's origin in
`allowed_origins`, the browser's preflight and call go through and the page reads the answer;
from an origin not listed, the browser refuses to hand the answer to the page. Chromium comes
from `scripts/browser`; without it these tests skip, except under `CI=true`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import pytest
from selenium import webdriver
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.types import Tool
from tests.browser_support import chromium
from tests.conftest import LiveServer, modern_request

PAGE: Final = "<!doctype html><title>a page on another origin</title><p>calling MCP</p>"
FETCH: Final = """
const [url, body, headers, done] = arguments;
fetch(url, {method: "POST", body, headers})
  .then(response => response.json().then(json => done({status: response.status, json})))
  .catch(error => done({error: String(error)}));
"""


def status() -> str:
    """Say that the server is up."""
    return "up"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        driver.set_script_timeout(15)
        yield driver


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[int, str]]:
    """The page's port, and the URL of a server that lists the page's 127.0.0.1 origin."""
    page_app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))])
    with LiveServer(page_app) as page:
        server = MCPServer(
            name="cors-browser",
            version="1.0.0",
            tools=(Tool(func=status),),
            allowed_origins=[f"http://127.0.0.1:{page.port}"],
        )
        with LiveServer(Starlette(routes=[Route("/mcp", server.app)])) as mcp:
            yield page.port, mcp.url


def call_from(driver: webdriver.Chrome, page_url: str, mcp_url: str) -> Any:
    driver.get(page_url)
    body, headers = modern_request("tools/call", {"name": "status", "arguments": {}})
    headers |= {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    return driver.execute_async_script(FETCH, mcp_url, json.dumps(body), headers)


def test_a_page_on_a_listed_origin_reads_the_answer(
    browser: webdriver.Chrome, servers: tuple[int, str]
) -> None:
    port, mcp_url = servers
    outcome = call_from(browser, f"http://127.0.0.1:{port}/", mcp_url)
    assert outcome["status"] == 200, outcome
    assert outcome["json"]["result"]["content"] == [{"type": "text", "text": "up"}]
    assert outcome["json"]["result"]["resultType"] == "complete"


def test_a_page_on_another_origin_is_refused_by_the_browser(
    browser: webdriver.Chrome, servers: tuple[int, str]
) -> None:
    port, mcp_url = servers
    outcome = call_from(browser, f"http://localhost:{port}/", mcp_url)
    assert outcome == {"error": "TypeError: Failed to fetch"}
