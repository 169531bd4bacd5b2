"""A transport written only from the public docs: JSON lines over a TCP socket.

It uses `MCPServer.handle`, `http_mcp.jsonrpc` and `http_mcp.transports` exactly as the
`http_mcp.transports` docstring describes, and is driven over a real loopback connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from pydantic import BaseModel
from pydantic_core import from_json, to_json

from http_mcp import MCPServer, jsonrpc
from http_mcp.transports import RequestContext
from http_mcp.types import Arguments, NoArguments, Tool
from tests.conftest import LEGACY, legacy_request, modern_request

pytestmark = pytest.mark.anyio


class Text(BaseModel):
    text: str


def echo(arguments: Arguments[Text]) -> str:
    """Echo the text back."""
    return arguments.inputs.text


async def counts(arguments: Arguments[NoArguments]) -> str:
    """Count to two, reporting progress."""
    await arguments.report_progress(1, 2)
    await arguments.report_progress(2, 2)
    return "counted"


def secret() -> str:
    """Only for admins."""
    return "the secret"


server = MCPServer(
    name="lines",
    version="1.0.0",
    tools=(
        Tool(func=echo, inputs=Text),
        Tool(func=counts, inputs=NoArguments),
        Tool(func=secret, inputs=NoArguments, scopes=("admin",)),
    ),
)


async def serve_lines(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scopes: frozenset[str]
) -> None:
    """The transport: one JSON-RPC message per line, notifications written ahead."""

    async def notify(method: str, params: dict[str, Any]) -> None:
        writer.write(to_json({"jsonrpc": "2.0", "method": method, "params": params}) + b"\n")
        await writer.drain()

    while line := await reader.readline():
        try:
            message = jsonrpc.parse(line)
        except jsonrpc.JSONRPCError as exc:
            writer.write(exc.to_bytes() + b"\n")
            continue
        reply = await server.handle(message, RequestContext(scopes=scopes, notify=notify))
        if reply is not None:
            writer.write(reply.body + b"\n")
        await writer.drain()
    writer.close()


@asynccontextmanager
async def connected(scopes: frozenset[str] = frozenset()) -> AsyncIterator[Client]:
    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_lines(reader, writer, scopes)

    listener = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield Client(reader, writer)
    finally:
        writer.close()
        await writer.wait_closed()
        listener.close()
        await listener.wait_closed()


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def send(self, body: Any) -> None:
        self._writer.write(body if isinstance(body, bytes) else to_json(body) + b"\n")
        await self._writer.drain()

    async def frame(self) -> Any:
        with anyio.fail_after(10):
            return from_json(await self._reader.readline())

    async def ask(self, body: Any) -> Any:
        await self.send(body)
        return await self.frame()


async def test_a_line_transport_answers_both_eras_through_handle() -> None:
    async with connected() as client:
        init = legacy_request(
            "initialize",
            {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "v": 1}},
        )
        greeted = await client.ask(init)
        assert greeted["result"]["serverInfo"] == {"name": "lines", "version": "1.0.0"}
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        listed = await client.ask(legacy_request("tools/list", request_id=2))
        assert [t["name"] for t in listed["result"]["tools"]] == ["echo", "counts"]
        body, _ = modern_request("tools/call", {"name": "echo", "arguments": {"text": "hi"}}, 3)
        called = await client.ask(body)
        assert called["id"] == 3
        assert called["result"]["content"] == [{"type": "text", "text": "hi"}]
        assert called["result"]["resultType"] == "complete"


async def test_errors_come_back_with_the_codes_of_the_error_table() -> None:
    async with connected() as client:
        garbage = await client.ask(b"{not json\n")
        assert garbage["error"]["code"] == jsonrpc.PARSE_ERROR
        assert garbage["id"] is None
        unknown = await client.ask(legacy_request("no/such/method", request_id=7))
        assert unknown["error"]["code"] == jsonrpc.METHOD_NOT_FOUND
        assert unknown["id"] == 7
        body, _ = modern_request("tools/call", {"name": "secret"}, 8)
        hidden = await client.ask(body)
        assert hidden["error"]["code"] == jsonrpc.INVALID_PARAMS


async def test_scopes_in_the_context_decide_what_the_caller_sees() -> None:
    async with connected(frozenset({"admin"})) as client:
        body, _ = modern_request("tools/call", {"name": "secret"}, 1)
        answer = await client.ask(body)
        assert answer["result"]["content"] == [{"type": "text", "text": "the secret"}]


async def test_notify_in_the_context_carries_progress_ahead_of_the_response() -> None:
    async with connected() as client:
        body, _ = modern_request("tools/call", {"name": "counts"}, 5)
        body["params"]["_meta"]["progressToken"] = "p"
        await client.send(body)
        frames = [await client.frame() for _ in range(3)]
    assert [f.get("method") for f in frames] == [
        "notifications/progress",
        "notifications/progress",
        None,
    ]
    assert [f["params"]["progress"] for f in frames[:2]] == [1, 2]
    assert frames[2]["result"]["content"] == [{"type": "text", "text": "counted"}]
