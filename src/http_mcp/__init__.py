"""http-mcp: stateless MCP servers with Pydantic-first tools and prompts.

Example:
    ```python
    from http_mcp import MCPServer
    from http_mcp.types import Arguments, Tool

    server = MCPServer(name="vulns", version="1.0.0", tools=(Tool(func=get_fix_metadata,
                       inputs=FixMetadataInput, output=FixMetadataOutput),))
    app = Starlette(routes=[Route("/mcp", server.app)])
    ```
"""

from http_mcp.server import MCPServer

__all__ = ["MCPServer", "__version__"]

__version__ = "0.1.0"
