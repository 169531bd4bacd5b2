"""Tools reach what the application's lifespan set up, typed, through their `Arguments`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette

from http_mcp import MCPServer
from http_mcp.testing import AsyncTestClient
from http_mcp.types import Arguments, NoArguments, Tool
from tests.conftest import LEGACY, MODERN, legacy_request, modern_request, starlette_app
from tests.support import error_records

pytestmark = pytest.mark.anyio

ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])
PROTOCOLS = {"modern": MODERN, "legacy": LEGACY}


class Database:
    def __init__(self) -> None:
        self.rows = {"CVE-1": "fixed in 2.0"}

    def find(self, key: str) -> str:
        return self.rows.get(key, "unknown")


class LookupInput(BaseModel):
    key: str


def lookup(arguments: Arguments[LookupInput]) -> str:
    return arguments.get_state_key("db", Database).find(arguments.inputs.key)


async def async_lookup(arguments: Arguments[LookupInput]) -> str:
    return arguments.get_state_key("db", Database).find(arguments.inputs.key)


def missing_key(arguments: Arguments[NoArguments]) -> str:
    return arguments.get_state_key("cache", Database).find("CVE-1")


def wrong_type(arguments: Arguments[NoArguments]) -> str:
    return arguments.get_state_key("settings", Database).find("CVE-1")


def settings(arguments: Arguments[NoArguments]) -> str:
    return str(arguments.get_state_key("settings", dict[str, bool]))


def as_list(arguments: Arguments[NoArguments]) -> str:
    return str(arguments.get_state_key("settings", list[str]))


def as_literal(arguments: Arguments[NoArguments]) -> str:
    return str(arguments.get_state_key("flag", Literal["on"]))  # type: ignore[arg-type]


SERVER = MCPServer(
    name="s",
    version="1",
    tools=(
        Tool(func=lookup, inputs=LookupInput),
        Tool(func=async_lookup, inputs=LookupInput),
        Tool(func=missing_key),
        Tool(func=wrong_type),
        Tool(func=settings),
        Tool(func=as_list),
        Tool(func=as_literal),
    ),
)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    yield {"db": Database(), "settings": {"debug": False}}


async def call_live(url: str, era: str, params: dict[str, Any]) -> dict[str, Any]:
    if era == "modern":
        body, headers = modern_request("tools/call", params)
    else:
        body, headers = legacy_request("tools/call", params), {"mcp-protocol-version": LEGACY}
    with anyio.fail_after(10):
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(
                url, json=body, headers={"accept": "application/json", **headers}
            )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


@pytest.fixture
def url(live: Callable[..., Any]) -> str:
    return str(live(starlette_app(SERVER, lifespan=lifespan)).url)


@ERAS
@pytest.mark.parametrize("tool", ["lookup", "async_lookup"])
async def test_a_tool_reads_lifespan_state_by_key_and_type(url: str, era: str, tool: str) -> None:
    result = await call_live(url, era, {"name": tool, "arguments": {"key": "CVE-1"}})
    assert result.get("isError", False) is False
    assert result["content"] == [{"type": "text", "text": "fixed in 2.0"}]


@ERAS
@pytest.mark.parametrize(
    ("tool", "key", "problem"),
    [
        pytest.param("missing_key", "cache", KeyError, id="missing-key"),
        pytest.param("wrong_type", "settings", TypeError, id="wrong-type"),
        pytest.param("as_list", "settings", TypeError, id="wrong-generic-type"),
        pytest.param("as_literal", "flag", TypeError, id="type-isinstance-cannot-check"),
    ],
)
async def test_a_missing_or_mistyped_state_key_is_a_generic_error_logged_with_the_key(
    era: str, tool: str, key: str, problem: type[Exception], caplog: pytest.LogCaptureFixture
) -> None:
    app = starlette_app(SERVER, lifespan=lifespan)
    with caplog.at_level(logging.ERROR, logger="http_mcp"), anyio.fail_after(10):
        async with AsyncTestClient(app, protocol=PROTOCOLS[era]) as client:
            result = await client.call_tool(tool)
    assert result.is_error is True
    assert len(result.content) == 1
    assert key not in result.text
    assert "lifespan" not in result.text
    [record] = error_records(caplog)
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], problem)
    assert repr(key) in str(record.exc_info[1])


@ERAS
async def test_without_a_lifespan_a_state_key_is_missing_and_logged(
    era: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="http_mcp"), anyio.fail_after(10):
        async with AsyncTestClient(starlette_app(SERVER), protocol=PROTOCOLS[era]) as client:
            result = await client.call_tool("lookup", {"key": "CVE-1"})
    assert result.is_error is True
    assert "'db'" not in result.text
    [record] = error_records(caplog)
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)
    assert "'db'" in str(record.exc_info[1])


async def test_a_parameterised_generic_type_is_checked_against_its_class() -> None:
    app = starlette_app(SERVER, lifespan=lifespan)
    with anyio.fail_after(10):
        async with AsyncTestClient(app) as client:
            result = await client.call_tool("settings")
    assert result.is_error is False
    assert result.text == "{'debug': False}"
