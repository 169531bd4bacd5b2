"""The `http_mcp.requests` log: failures by default, every request at INFO, never a secret."""

from __future__ import annotations

import logging
import shlex
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.testing import AsyncTestClient, MCPError
from http_mcp.types import Arguments, Tool
from tests.conftest import LEGACY, MODERN, wire_for

pytestmark = pytest.mark.anyio

TOKEN = "tok-3f9a-not-for-logs"
SECRET = "hunter2-not-for-logs"


class Login(BaseModel):
    user: str
    password: str


def login(arguments: Arguments[Login]) -> str:
    return f"welcome {arguments.inputs.user}"


def crash(arguments: Arguments[Login]) -> str:
    raise RuntimeError("down")


class Bearer(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        if conn.headers.get("authorization") != f"Bearer {TOKEN}":
            return None
        return AuthCredentials(["mcp"]), SimpleUser("alice")


def app(**kwargs: Any) -> Starlette:
    server = MCPServer(name="s", version="1", tools=(Tool(func=login), Tool(func=crash)), **kwargs)
    return Starlette(
        routes=[Route("/mcp", server.app, methods=["POST"])],
        middleware=[Middleware(AuthenticationMiddleware, backend=Bearer())],
    )


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "http_mcp.requests"]


def fields(record: logging.LogRecord) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(record.getMessage()))


@pytest.mark.parametrize("protocol", [MODERN, LEGACY])
async def test_no_token_and_no_argument_value_lands_in_any_log_record(
    caplog: pytest.LogCaptureFixture, protocol: str
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with AsyncTestClient(app(), protocol=protocol, headers=headers) as client:
        assert (await client.call_tool("login", {"user": "a", "password": SECRET})).text
        assert (await client.call_tool("login", {"user": SECRET})).is_error
        assert (await client.call_tool("crash", {"user": "a", "password": SECRET})).is_error
        with pytest.raises(MCPError):
            await client.call_tool("missing", {"password": SECRET})
        with pytest.raises(MCPError):
            await client.request("tools/call", {"name": "login", "arguments": SECRET})
    assert len(request_lines(caplog)) >= 6
    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''} {vars(record)}"
        assert TOKEN not in text
        assert SECRET not in text


async def test_failures_are_logged_by_default_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with AsyncTestClient(app()) as client:
        await client.call_tool("login", {"user": "a", "password": "p"})
        with pytest.raises(MCPError):
            await client.request("tools/call", {"name": "missing\nmethod=forged"})
    lines = request_lines(caplog)
    assert len(lines) == 1
    record = lines[0]
    assert record.levelno == logging.WARNING
    parsed = fields(record)
    assert parsed.pop("duration_ms")
    assert parsed == {
        "method": "tools/call",
        "target": "missing\\nmethod=forged",
        "id": parsed["id"],
        "outcome": "error",
        "code": "-32602",
    }
    assert "\n" not in record.getMessage()
    assert record.mcp_code == -32602  # type: ignore[attr-defined]
    assert record.mcp_outcome == "error"  # type: ignore[attr-defined]


async def test_every_request_is_logged_with_the_logger_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="http_mcp.requests")
    async with AsyncTestClient(app()) as client:
        await client.call_tool("login", {"user": "a", "password": "p"})
        await client.call_tool("login", {"user": "a"})
    lines = [fields(r) for r in request_lines(caplog) if r.getMessage().startswith("method=tools")]
    assert [(line["method"], line["outcome"]) for line in lines] == [
        ("tools/list", "ok"),
        ("tools/call", "ok"),
        ("tools/call", "tool_error"),
    ]
    assert lines[1]["target"] == "login"
    assert float(lines[1]["duration_ms"]) >= 0


async def test_a_refused_protocol_version_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    wire = wire_for(app())
    response = await wire.legacy("tools/list", version="1999-01-01")
    await wire.client.aclose()
    assert response.status_code == 400
    assert [fields(r)["outcome"] for r in request_lines(caplog)] == ["error"]


async def test_a_long_or_odd_target_is_one_quoted_token_cut_short(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    wire = wire_for(app())
    await wire.legacy("tools/call", {"name": "x" * 300})
    await wire.legacy("tools/call", {"name": 42})
    await wire.client.aclose()
    long_name, not_a_string = (fields(r) for r in request_lines(caplog))
    assert long_name["target"] == "x" * 100 + "..."
    assert "target" not in not_a_string
    assert not_a_string["code"] == "-32602"
