"""FastMCP: `FastMCP.http_app` in stateless JSON mode."""

from __future__ import annotations

from fastmcp import FastMCP
from starlette.applications import Starlette

from benchmarks.servers import catalog, signatures


def build_server(tool_count: int) -> FastMCP:
    server = FastMCP(name=catalog.SERVER_NAME, version=catalog.SERVER_VERSION)
    server.tool(signatures.add)
    for spec in catalog.tool_specs(tool_count):
        server.tool(signatures.function_of(spec))
    return server


def build_app(tool_count: int) -> Starlette:
    return build_server(tool_count).http_app(path="/mcp", stateless_http=True, json_response=True)


def serve_stdio(tool_count: int) -> None:
    build_server(tool_count).run(transport="stdio", show_banner=False)
