"""Talking to a back-channel server by hand: a session, a streamed call, its events, answers.

```python
async with httpx.AsyncClient() as http:
    session = await open_session(http, url, {"elicitation": {}})
    async with streamed_call(http, url, session, "confirm_and_summarise") as call:
        request = await call.next()  # the server's elicitation/create, with its srv- id
        answer = await post_answer(http, url, session, request["id"], {"action": "decline"})
        assert answer.status_code == 202
        result = await call.next()  # the tool's result
```
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import httpx

LEGACY: Final = "2025-11-25"
ACCEPT_BOTH: Final = "application/json, text/event-stream"


def headers_for(
    session: str | None, token: str | None = None, version: str = LEGACY, **extra: str
) -> dict[str, str]:
    headers = {"accept": ACCEPT_BOTH, "mcp-protocol-version": version, **extra}
    if session is not None:
        headers["mcp-session-id"] = session
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


async def open_session(
    http: httpx.AsyncClient,
    url: str,
    capabilities: Mapping[str, Any],
    token: str | None = None,
    version: str = LEGACY,
) -> str:
    """`initialize` at `version` declaring `capabilities`; the session id it answers with."""
    params = {
        "protocolVersion": version,
        "capabilities": dict(capabilities),
        "clientInfo": {"name": "tests", "version": "1"},
    }
    body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}
    response = await http.post(url, json=body, headers=headers_for(None, token, version))
    assert response.status_code == 200, response.text
    assert response.json()["result"]["protocolVersion"] == version
    session: str = response.headers["mcp-session-id"]
    return session


class StreamedCall:
    """The JSON-RPC messages of one call's event stream, read one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self) -> dict[str, Any]:
        """The next message; a priming event (an id with empty data) carries none."""
        data: list[str] = []
        async for line in self._lines:
            if line.startswith("data:") and line[5:].strip():
                data.append(line[5:].strip())
            elif not line and data:
                message: dict[str, Any] = json.loads("\n".join(data))
                return message
        raise AssertionError("the event stream ended")


@asynccontextmanager
async def streamed_call(
    http: httpx.AsyncClient,
    url: str,
    session: str | None,
    name: str,
    token: str | None = None,
    method: str = "tools/call",
    arguments: Mapping[str, Any] | None = None,
    version: str = LEGACY,
) -> AsyncIterator[StreamedCall]:
    params = {"name": name, "arguments": dict(arguments or {})}
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    headers = headers_for(session, token, version)
    async with http.stream("POST", url, json=body, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        yield StreamedCall(response)


async def post_answer(
    http: httpx.AsyncClient,
    url: str,
    session: str | None,
    request_id: Any,
    result: Mapping[str, Any] | None = None,
    *,
    error: Mapping[str, Any] | None = None,
    token: str | None = None,
    version: str = LEGACY,
) -> httpx.Response:
    """Post the client's answer to a request of the server's: a result, or an error."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        body["error"] = dict(error)
    else:
        body["result"] = dict(result or {})
    return await http.post(url, json=body, headers=headers_for(session, token, version))


def text_of(result_message: Mapping[str, Any]) -> str:
    """The text of a tools/call result message."""
    text: str = result_message["result"]["content"][0]["text"]
    return text
