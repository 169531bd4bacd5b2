r"""Transports: what carries MCP messages between a client and `MCPServer.handle`.

http-mcp ships two: Streamable HTTP (`MCPServer.app`, an ASGI app) and STDIO
(`MCPServer.serve_stdio`). Both go through the one public seam,
`MCPServer.handle(message, context) -> Reply | None`, which a transport of your own uses too:

1. Parse each incoming message with `http_mcp.jsonrpc.parse`; a `JSONRPCError` it raises is
   answered with `error.to_bytes()`.
2. Describe the message's surroundings in a `RequestContext`: the caller's `scopes` at least;
   `notify` if the response can carry notifications ahead of it; the routing `headers` and
   `protocol_version` if your transport has HTTP-like headers; at the handshake revisions,
   `client_capabilities` (what the client declared at `initialize`) and `ask` if your
   transport can send the client a request and route its answer back.
3. `reply = await server.handle(message, context)` and send `reply.body` (JSON bytes); `None`
   means nothing is sent back (a notification).

Everything protocol-level (both revisions, negotiation, scopes, error codes) happens in
`handle`, the same for every transport. Requests may be handled concurrently; cancel the task
awaiting `handle` (and set `context.cancelled`) when the client cancels or goes away.

Example:
    ```python
    async def serve_lines(server: MCPServer, reader, writer) -> None:
        while line := await reader.readline():
            try:
                message = jsonrpc.parse(line)
            except jsonrpc.JSONRPCError as exc:
                writer.write(exc.to_bytes() + b"\\n")
                continue
            reply = await server.handle(message, RequestContext(scopes=frozenset()))
            if reply is not None:
                writer.write(reply.body + b"\\n")
    ```

http-mcp runs on asyncio, uvloop included.
"""

from http_mcp import _public
from http_mcp._channel import CancelFlag
from http_mcp._context import Ask, Notify, Reply, RequestContext
from http_mcp.transports._http import HTTPApp

__all__ = ["Ask", "CancelFlag", "HTTPApp", "Notify", "Reply", "RequestContext"]

_public.publish(__name__, globals(), __all__)
