"""The transports that carry MCP messages to `MCPServer.handle`: Streamable HTTP and STDIO."""
