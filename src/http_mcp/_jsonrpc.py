"""JSON-RPC 2.0 envelope: bytes in, a message out; a message in, bytes out.

`http_mcp.jsonrpc` exports what a transport needs of it; the server also uses the result
writers. Every error code the library answers with is defined here.

Nothing here knows about MCP methods. `parse` turns a request body (or a STDIO line) into a
`Request`, `Notification` or `Response`, or raises `JSONRPCError` carrying the code the error
table prescribes and the request id whenever it could be read.

Every message is written as strict JSON (RFC 8259): a NaN or an infinity, which JSON cannot
carry, is written as `null` wherever it sits (log data, a content block, a schema default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from pydantic_core import from_json, to_json

# JSON-RPC 2.0
PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
# MCP
RESOURCE_NOT_FOUND: Final = -32002  # resources/read at the handshake revisions
HEADER_MISMATCH: Final = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY: Final = -32021
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022

RequestId = str | int


class JSONRPCError(Exception):
    """A protocol error, answered as a JSON-RPC error response.

    Attributes:
        code: The JSON-RPC error code (one of this module's constants).
        message: One line saying what was wrong.
        data: Extra detail sent as `error.data`, or `None`.
        request_id: The id of the request it answers, when it could be read.
    """

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        *,
        request_id: RequestId | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.request_id = request_id

    def to_bytes(self) -> bytes:
        """The error response, as JSON bytes ready to send."""
        return error_bytes(self.request_id, self.code, self.message, self.data)


_set = object.__setattr__


@dataclass(frozen=True, slots=True, init=False)
class Request:
    """A request: it has an id and expects a response."""

    id: RequestId
    method: str
    params: dict[str, Any] = field(default_factory=dict)

    # Written out: one is made per request, and this costs half the generated `__init__`.
    def __init__(self, id: RequestId, method: str, params: dict[str, Any] | None = None) -> None:
        _set(self, "id", id)
        _set(self, "method", method)
        _set(self, "params", {} if params is None else params)


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification: no id, no response."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Response:
    """A response or error sent by the client, to a request the server sent it.

    Attributes:
        id: The id of the request it answers (`None` in an error about an unreadable id).
        result: The result, when it is one.
        error: The error object (`code`, `message`, `data`), when it is one.
    """

    id: RequestId | None
    result: Any = None
    error: Any = None


Message = Request | Notification | Response


def parse(body: bytes | str) -> Message:
    """Parse one JSON-RPC message; raise `JSONRPCError` for anything else."""
    try:
        # A str is encoded first so that a lone surrogate is a parse error, not a TypeError.
        data = from_json(body.encode() if isinstance(body, str) else body, allow_inf_nan=False)
    except ValueError:
        raise JSONRPCError(PARSE_ERROR, "Parse error: the body is not valid JSON") from None
    return parse_object(data)


def parse_object(data: Any) -> Message:
    """The message an already decoded JSON value is; `JSONRPCError` if it is none."""
    if not isinstance(data, dict):
        if isinstance(data, list):
            raise JSONRPCError(INVALID_REQUEST, "Invalid request: batches are not supported")
        raise JSONRPCError(INVALID_REQUEST, "Invalid request: expected a JSON object")
    raw_id = data.get("id")
    id_type = type(raw_id)
    if id_type is int or id_type is str:  # what parsed JSON holds, checked without a call
        request_id: RequestId | None = raw_id
    else:
        request_id = raw_id if _is_valid_id(raw_id) else None
    if data.get("jsonrpc") != "2.0":
        raise JSONRPCError(
            INVALID_REQUEST, 'Invalid request: "jsonrpc" must be "2.0"', request_id=request_id
        )
    method = data.get("method")
    if method is None and _is_response(data, request_id):
        return Response(id=request_id, result=data.get("result"), error=data.get("error"))
    if "id" in data and request_id is None:
        raise JSONRPCError(INVALID_REQUEST, 'Invalid request: "id" must be a string or an integer')
    if not isinstance(method, str):
        raise JSONRPCError(
            INVALID_REQUEST, 'Invalid request: "method" must be a string', request_id=request_id
        )
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise JSONRPCError(
            INVALID_PARAMS, 'Invalid params: "params" must be an object', request_id=request_id
        )
    if request_id is None:
        return Notification(method=method, params=params)
    return Request(request_id, method, params)  # by position: keywords cost more, per request


def _is_response(data: dict[str, Any], request_id: RequestId | None) -> bool:
    if "result" in data:
        return request_id is not None
    # An error response says `"id": null` when it could not read the request's id.
    return "error" in data and "id" in data and (request_id is not None or data["id"] is None)


def _is_valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def result_bytes(request_id: RequestId, result: Any) -> bytes:
    """A result response, as strict JSON bytes."""
    return to_json({"jsonrpc": "2.0", "id": request_id, "result": result}, inf_nan_mode="null")


def error_bytes(request_id: RequestId | None, code: int, message: str, data: Any = None) -> bytes:
    """An error response, as strict JSON bytes (`request_id` `None` when it was unreadable)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return to_json({"jsonrpc": "2.0", "id": request_id, "error": error}, inf_nan_mode="null")


def notification_bytes(method: str, params: dict[str, Any]) -> bytes:
    """A notification from the server, as strict JSON bytes."""
    message = {"jsonrpc": "2.0", "method": method, "params": params}
    return to_json(message, inf_nan_mode="null")


def request_bytes(request_id: RequestId, method: str, params: dict[str, Any]) -> bytes:
    """A request from the server to the client, as strict JSON bytes."""
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    return to_json(message, inf_nan_mode="null")


def raw_result_bytes(request_id: RequestId, result_json: bytes) -> bytes:
    """A response around a result that is already strict JSON (a cached list, for instance)."""
    return b'{"jsonrpc":"2.0","id":' + to_json(request_id) + b',"result":' + result_json + b"}"
