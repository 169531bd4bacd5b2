"""A raw HTTP client for `subscriptions/listen`: open the stream, read its events one by one.

```python
async with Listener(client, url, {"toolsListChanged": True}) as stream:
    ack = await stream.next_message()
```
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Final

import httpx
from pydantic import BaseModel

from http_mcp import MCPServer
from http_mcp.types import Arguments, Resource, Tool
from tests.conftest import modern_meta, modern_request

SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"
KEEP_ALIVE: Final = ":"


class Touch(BaseModel):
    what: str = "tools"
    uri: str = ""


def changes_server(**options: Any) -> MCPServer:
    """A server whose `touch` tool announces the change its arguments name.

    `what` is a list (`tools`, `prompts`, `resources`), `stop` (end the listeners' streams) or
    anything else (the resource `uri` was updated). It offers `note://open` to anyone and
    `note://secret` to `admin` only.
    """
    server: MCPServer

    async def touch(arguments: Arguments[Touch]) -> str:
        """Announces a change, or ends the listeners' streams."""
        change = arguments.inputs
        if change.what == "tools":
            await server.notify_tools_changed()
        elif change.what == "prompts":
            await server.notify_prompts_changed()
        elif change.what == "resources":
            await server.notify_resources_changed()
        elif change.what == "stop":
            server.end_listen_streams()
        else:
            await server.notify_resource_updated(change.uri)
        return "announced"

    def open_note() -> str:
        return "open"

    def secret_note() -> str:
        return "secret"

    server = MCPServer(
        name="changes",
        version="1",
        tools=(Tool(func=touch),),
        resources=(
            Resource(uri="note://open", func=open_note, name="open"),
            Resource(uri="note://secret", func=secret_note, name="secret", scopes=["admin"]),
        ),
        **options,
    )
    return server


class Listener:
    """One open listen stream over HTTP, read as raw server-sent events."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        notifications: Mapping[str, Any],
        *,
        request_id: int | str = 7,
        headers: Mapping[str, str] | None = None,
        capabilities: Mapping[str, Any] | None = None,
    ) -> None:
        body, routing = modern_request(
            "subscriptions/listen", {"notifications": dict(notifications)}, request_id
        )
        if capabilities is not None:  # what the client declares, e.g. the tasks extension
            body["params"]["_meta"] = modern_meta(capabilities)
        all_headers = {
            "accept": "application/json, text/event-stream",
            **routing,
            **(headers or {}),
        }
        self._opening: AbstractAsyncContextManager[httpx.Response] = client.stream(
            "POST", url, json=body, headers=all_headers, timeout=httpx.Timeout(30.0)
        )
        self.response: httpx.Response | None = None
        self._lines: AsyncIterator[str] | None = None
        self._answered = False

    async def __aenter__(self) -> Listener:
        self.response = await self._opening.__aenter__()
        self._lines = self.response.aiter_lines()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._opening.__aexit__(exc_type, exc, traceback)

    async def next_event(self) -> Any:
        """The next event's JSON, or `KEEP_ALIVE` for a comment; `None` when the stream ended.

        A plain JSON answer (an error before the stream started) is read as one event.
        """
        assert self._lines is not None
        assert self.response is not None
        if self.response.headers.get("content-type") == "application/json":
            if self._answered:
                return None
            self._answered = True
            return json.loads(await self.response.aread())
        data: list[str] = []
        async for line in self._lines:
            if line.startswith(":") and not data:
                return KEEP_ALIVE
            if line.startswith("data:"):
                data.append(line[5:].strip())
            elif not line and data:
                return json.loads("\n".join(data))
        return None

    async def next_message(self) -> Any:
        """The next JSON-RPC message, skipping keep-alive comments; `None` at the end."""
        while True:
            event = await self.next_event()
            if event != KEEP_ALIVE:
                return event
