"""The floor: a bare Starlette route doing only what any MCP server must do.

It parses the JSON-RPC body, looks the tool up, validates the arguments with the same
Pydantic model, runs the same function and returns the same result shape; nothing else (no
header or envelope checks, no error mapping beyond the minimum). Lists are built once and
serialized per request.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import from_json, to_json
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.servers import catalog

META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
SERVER_INFO = {"name": catalog.SERVER_NAME, "version": catalog.SERVER_VERSION}

Handler = Callable[[BaseModel], Awaitable[BaseModel]]


async def _add(inputs: BaseModel) -> BaseModel:
    assert isinstance(inputs, catalog.AddInput)
    return catalog.add_result(inputs.a, inputs.b)


def _receipt(name: str) -> Handler:
    async def handle(inputs: BaseModel) -> BaseModel:
        return catalog.receipt(name, inputs.model_dump())

    return handle


class Floor:
    def __init__(self, tool_count: int) -> None:
        specs = catalog.tool_specs(tool_count)
        self.tools: dict[str, tuple[type[BaseModel], Handler]] = {
            catalog.ADD_NAME: (catalog.AddInput, _add),
            **{s.name: (s.model, _receipt(s.name)) for s in specs},
        }
        outputs: list[tuple[str, str, type[BaseModel], type[BaseModel]]] = [
            (catalog.ADD_NAME, catalog.ADD_DESCRIPTION, catalog.AddInput, catalog.AddOutput)
        ]
        outputs += [(s.name, s.description, s.model, catalog.Receipt) for s in specs]
        self.definitions = [
            {
                "name": name,
                "description": description,
                "inputSchema": inputs.model_json_schema(),
                "outputSchema": output.model_json_schema(),
            }
            for name, description, inputs, output in outputs
        ]

    async def answer(self, body: bytes) -> bytes | None:
        message = from_json(body)
        params = message.get("params", {})
        if "id" not in message:
            return None
        if message["method"] == "initialize":
            result: dict[str, Any] = {
                "protocolVersion": params["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": SERVER_INFO,
            }
        elif message["method"] == "tools/list":
            result = {"tools": self.definitions}
        elif message["method"] == "tools/call":
            model, handle = self.tools[params["name"]]
            output = await handle(model.model_validate(params.get("arguments", {})))
            structured = output.model_dump(mode="json")
            result = {
                "content": [{"type": "text", "text": to_json(structured).decode()}],
                "structuredContent": structured,
            }
        else:
            error = {"code": -32601, "message": "Method not found"}
            return to_json({"jsonrpc": "2.0", "id": message.get("id"), "error": error})
        if META_PROTOCOL_VERSION in params.get("_meta", {}):
            result["resultType"] = "complete"
            result["_meta"] = {"io.modelcontextprotocol/serverInfo": SERVER_INFO}
        return to_json({"jsonrpc": "2.0", "id": message["id"], "result": result})


def build_app(tool_count: int) -> Starlette:
    floor = Floor(tool_count)

    async def endpoint(request: Request) -> Response:
        answer = await floor.answer(await request.body())
        if answer is None:
            return Response(status_code=202)
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/mcp", endpoint, methods=["POST"])])


def serve_stdio(tool_count: int) -> None:
    asyncio.run(_serve_stdio(Floor(tool_count)))


async def _serve_stdio(floor: Floor) -> None:
    """One request at a time, read with a blocking call: a floor, not a transport."""
    for line in sys.stdin.buffer:
        answer = await floor.answer(line) if line.strip() else None
        if answer is not None:
            sys.stdout.buffer.write(answer + b"\n")
            sys.stdout.buffer.flush()
