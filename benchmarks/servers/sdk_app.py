"""The official MCP SDK (`mcp`): `MCPServer` in stateless JSON mode."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette

from benchmarks.servers import catalog, signatures


def build_server(tool_count: int) -> MCPServer:
    server: MCPServer = MCPServer(
        name=catalog.SERVER_NAME, version=catalog.SERVER_VERSION, log_level="WARNING"
    )
    server.add_tool(signatures.add)
    for spec in catalog.tool_specs(tool_count):
        server.add_tool(signatures.function_of(spec))
    return server


def build_app(tool_count: int) -> Starlette:
    return build_server(tool_count).streamable_http_app(stateless_http=True, json_response=True)


def serve_stdio(tool_count: int) -> None:
    build_server(tool_count).run("stdio")
