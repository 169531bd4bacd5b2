"""Helpers shared by the tests: reading results and logs, the official SDK client over HTTP.

Fixtures live in `conftest.py`; plain helpers that several test modules use live here, once
(server processes in `cli_support`, Redis in `redis_support`, tokens in `auth_support`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.client.session import MessageHandlerFnT
from mcp.client.streamable_http import streamable_http_client

SDK_TIMEOUT_S = 10.0


def only_text(result: Mapping[str, Any]) -> str:
    """The text of a result whose content is one text block."""
    content = result["content"]
    assert len(content) == 1
    assert content[0]["type"] == "text"
    text: str = content[0]["text"]
    return text


def result_of(response: httpx.Response, request_id: int | str | None = None) -> dict[str, Any]:
    """The result of a JSON answer (HTTP 200, no error), answering `request_id` when given."""
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert "error" not in body, body
    if request_id is not None:
        assert body["id"] == request_id
    result: dict[str, Any] = body["result"]
    return result


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records http-mcp logged at ERROR or above."""
    return [r for r in caplog.records if r.name == "http_mcp" and r.levelno >= logging.ERROR]


@asynccontextmanager
async def sdk_client(
    url: str,
    mode: str,
    *,
    headers: Mapping[str, str] | None = None,
    wait_s: float = SDK_TIMEOUT_S,
    extensions: Sequence[ClientExtension] = (),
    message_handler: MessageHandlerFnT | None = None,
    **options: Any,
) -> AsyncIterator[Client]:
    """The official SDK's client over Streamable HTTP (`mode`: "auto" or "legacy").

    `wait_s` bounds each HTTP exchange and each wait for an answer; `extensions` and
    `message_handler` are the SDK client's own, and so are `options` (its elicitation and
    sampling callbacks, for instance).
    """
    async with (
        httpx2.AsyncClient(headers=dict(headers or {}), timeout=httpx2.Timeout(wait_s)) as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode=mode,
            read_timeout_seconds=wait_s,
            extensions=list(extensions) or None,
            message_handler=message_handler,
            **options,
        ) as client,
    ):
        yield client
