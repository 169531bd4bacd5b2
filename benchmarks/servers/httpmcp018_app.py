"""http-mcp 0.18 from PyPI: tool names come from `func.__name__`, inputs and output required."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from benchmarks.servers import catalog
from http_mcp import _transport_base
from http_mcp.server import MCPServer
from http_mcp.types import Arguments, Tool


async def add(arguments: Arguments[catalog.AddInput]) -> catalog.AddOutput:
    return catalog.add_result(arguments.inputs.a, arguments.inputs.b)


add.__doc__ = catalog.ADD_DESCRIPTION


def _tool(spec: catalog.ToolSpec) -> Tool:
    async def handle(arguments: Arguments[BaseModel]) -> catalog.Receipt:
        return catalog.receipt(spec.name, arguments.inputs.model_dump())

    handle.__name__ = spec.name
    handle.__doc__ = spec.description
    return Tool(func=handle, inputs=spec.model, output=catalog.Receipt)


def build_server(tool_count: int) -> MCPServer:
    # 0.18 pages tools/list at a fixed 100 (a private constant); one page, like the others.
    _transport_base.TOOLS_CHUNK_SIZE = tool_count
    tools = [Tool(func=add, inputs=catalog.AddInput, output=catalog.AddOutput)]
    tools += [_tool(spec) for spec in catalog.tool_specs(tool_count)]
    return MCPServer(name=catalog.SERVER_NAME, version=catalog.SERVER_VERSION, tools=tuple(tools))


class Endpoint:
    """0.18's `app` is a method, which `Route` would take for a request-response handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def build_app(tool_count: int) -> Starlette:
    server = build_server(tool_count)
    return Starlette(routes=[Route("/mcp", Endpoint(server.app), methods=["POST"])])


def serve_stdio(tool_count: int) -> None:
    asyncio.run(build_server(tool_count).serve_stdio())
