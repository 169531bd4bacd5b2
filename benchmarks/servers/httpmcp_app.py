"""http-mcp from this repository: `Tool` declarations over the shared catalog."""

from __future__ import annotations

import os

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Route

from benchmarks.servers import catalog
from http_mcp import MCPServer
from http_mcp.types import Arguments, Tool


async def add(arguments: Arguments[catalog.AddInput]) -> catalog.AddOutput:
    return catalog.add_result(arguments.inputs.a, arguments.inputs.b)


def add_in_a_thread(arguments: Arguments[catalog.AddInput]) -> catalog.AddOutput:
    """The same as a sync function, which http-mcp runs in a worker thread."""
    return catalog.add_result(arguments.inputs.a, arguments.inputs.b)


def _tool(spec: catalog.ToolSpec) -> Tool:
    async def handle(arguments: Arguments[BaseModel]) -> catalog.Receipt:
        return catalog.receipt(spec.name, arguments.inputs.model_dump())

    return Tool(
        func=handle,
        inputs=spec.model,
        output=catalog.Receipt,
        name=spec.name,
        description=spec.description,
    )


def build_server(tool_count: int) -> MCPServer:
    tools = [
        Tool(
            # BENCH_SYNC_TOOLS=1 measures the sync form (benchmarks/results-sync.md).
            func=add_in_a_thread if os.environ.get("BENCH_SYNC_TOOLS") else add,
            name="add",
            inputs=catalog.AddInput,
            output=catalog.AddOutput,
            description=catalog.ADD_DESCRIPTION,
        )
    ]
    tools += [_tool(spec) for spec in catalog.tool_specs(tool_count)]
    # One page, like the peers: the list cases compare the same payload.
    return MCPServer(
        name=catalog.SERVER_NAME, version=catalog.SERVER_VERSION, tools=tools, page_size=None
    )


def build_app(tool_count: int) -> Starlette:
    server = build_server(tool_count)
    return Starlette(routes=[Route("/mcp", server.app, methods=["POST"])])


def serve_stdio(tool_count: int) -> None:
    build_server(tool_count).run_stdio()
