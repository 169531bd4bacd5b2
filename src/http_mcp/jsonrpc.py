"""The JSON-RPC 2.0 envelope, as much of it as a transport of your own needs.

`parse` turns a request body (or a line) into a `Request`, `Notification` or `Response` for
`MCPServer.handle`, or raises `JSONRPCError` carrying the code of the error table and the
request id whenever it could be read; `error.to_bytes()` is the response to send then.
`error_bytes`, `notification_bytes` and `request_bytes` write the other messages a transport
may send itself (the last: a request of the server's to the client, for `RequestContext.ask`).
Everything is written as strict JSON (RFC 8259).

The error codes are those http-mcp answers with: JSON-RPC's own, and MCP's.
"""

from http_mcp import _public
from http_mcp._jsonrpc import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR,
    RESOURCE_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
    JSONRPCError,
    Message,
    Notification,
    Request,
    RequestId,
    Response,
    error_bytes,
    notification_bytes,
    parse,
    request_bytes,
)

__all__ = [
    "HEADER_MISMATCH",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "PARSE_ERROR",
    "RESOURCE_NOT_FOUND",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "JSONRPCError",
    "Message",
    "Notification",
    "Request",
    "RequestId",
    "Response",
    "error_bytes",
    "notification_bytes",
    "parse",
    "request_bytes",
]

_public.publish(__name__, globals(), __all__)
