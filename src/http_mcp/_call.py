"""One request on its way through the server (`Call`), and the method table's entry (`Method`).

A `Call` is built once per request, after the protocol revision is negotiated, and handed
unchanged to the method's handler and from there to the tool, prompt or resource it runs. A
`Method` is everything the server knows about one MCP method, written in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.requests import Request as HTTPRequest

from http_mcp._channel import CancelFlag, Channel, LogLevel
from http_mcp._context import RequestContext
from http_mcp._input import InputRound
from http_mcp.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, JSONRPCError, Request, RequestId

if TYPE_CHECKING:  # the registry imports what imports this module: a cycle at run time
    from http_mcp._registry import Registry

Result = dict[str, Any] | bytes
"""A handler's result: a dict, or bytes already serialized as a JSON result object."""
Handler = Callable[["Call"], Awaitable[Result]]

# No session keeps a level set by logging/setLevel, so at the handshake wire a request gets the
# level its own _meta names, or this one.
LEGACY_LOG_LEVEL: Final[LogLevel] = "info"


@dataclass(frozen=True, slots=True, eq=False)
class Method:
    """One MCP method: its handler and what every layer needs to know about it.

    Attributes:
        name: The JSON-RPC method name (`"tools/call"`).
        handler: Answers a `Call`: returns the result, or raises `JSONRPCError`.
        revisions: The protocol revisions it exists in; elsewhere it is an unknown method.
        runs_user_code: It runs a user function, so over HTTP it may stream notifications and
            is cancelled when the client disconnects.
        target: The param naming what it acts on (`"name"`, `"uri"`): the `Mcp-Name` header
            must repeat it at 2026-07-28, and tracing and `requestState` use it.
        scoped: Its answer depends on the caller's scopes.
        streams: Its answer is a long-lived event stream of notifications ended by the
            result: over HTTP the transport needs `Accept: text/event-stream`, keeps the
            stream alive with comments and cancels the handler when the client goes away.
    """

    name: str
    handler: Handler
    revisions: frozenset[str]
    runs_user_code: bool = False
    target: str | None = None
    scoped: bool = False
    streams: bool = False


class Call:
    """One request, built once after negotiation and passed unchanged to its handler.

    Attributes:
        message: The JSON-RPC request.
        context: What the transport said about it.
        method: The method table's entry answering it.
        registry: What the server offers (tools, prompts, resources, list caches).
        version: The protocol revision it is answered under.
        modern: Whether that revision is the stateless 2026-07-28 one.
        client_capabilities: What the client declared: with each request at 2026-07-28; at
            the handshake, at `initialize`, when the transport remembers it (else empty).
        client_info: The client's `clientInfo` from `_meta`, when it sent one.
    """

    __slots__ = (
        "_channel",
        "_input_round",
        "client_capabilities",
        "client_info",
        "context",
        "message",
        "method",
        "modern",
        "registry",
        "version",
    )

    def __init__(
        self,
        message: Request,
        context: RequestContext,
        method: Method,
        registry: Registry,
        version: str,
        modern: bool,
        client_capabilities: Mapping[str, Any],
        client_info: Mapping[str, Any] | None,
    ) -> None:
        self.message = message
        self.context = context
        self.method = method
        self.registry = registry
        self.version = version
        self.modern = modern
        self.client_capabilities = client_capabilities
        self.client_info = client_info
        self._channel: Channel | None = None
        self._input_round: InputRound | None = None

    def __repr__(self) -> str:
        return f"<Call {self.message.method} id={self.message.id!r} {self.version}>"

    @property
    def id(self) -> RequestId:
        """The request's id."""
        return self.message.id

    @property
    def params(self) -> dict[str, Any]:
        """The request's params."""
        return self.message.params

    @property
    def scopes(self) -> frozenset[str]:
        """The caller's scopes."""
        return self.context.scopes

    @property
    def request(self) -> HTTPRequest:
        """The HTTP request being answered, or the transport's stand-in."""
        return self.context.http_request

    @property
    def cancelled(self) -> CancelFlag:
        """Set when the client goes away or cancels the request."""
        return self.context.cancelled

    @property
    def target(self) -> Any:
        """The value of the method's target param (a tool name, a URI), or `None`."""
        target = self.method.target
        return None if target is None else self.message.params.get(target)

    @property
    def purpose(self) -> str:
        """What a `requestState` handed out for this request is bound to."""
        return f"{self.message.method}:{self.target}"

    @property
    def channel(self) -> Channel:
        """The notifications this request may carry: progress and log messages."""
        if self._channel is None:
            self._channel = Channel.for_request(
                self.message.params,
                self.context.notify,
                None if self.modern else LEGACY_LOG_LEVEL,
                self.context.cancelled,
                self.context.close_stream,
            )
        return self._channel

    def next_round(self, round_: InputRound) -> None:
        """Run the target again with these answers (the handshake revisions' back channel)."""
        self._input_round = round_

    @property
    def input_round(self) -> InputRound:
        """The client's answers to an earlier `InputRequired`, and its verified state.

        Raises:
            JSONRPCError: `inputResponses` is not an object, or `requestState` does not verify.
        """
        if self._input_round is None:
            params = self.message.params
            responses = params.get("inputResponses", {})
            if not isinstance(responses, dict):
                raise JSONRPCError(
                    INVALID_PARAMS, "Invalid params: inputResponses must be an object"
                )
            token = params.get("requestState")
            state = None if token is None else self.registry.codec.open(self.purpose, token)
            self._input_round = InputRound(responses, state, self.client_capabilities)
        return self._input_round


async def _unknown(call: Call) -> Result:
    raise method_not_found(call.message.method)


UNKNOWN_METHOD: Final = Method("", _unknown, frozenset())
"""Stands for a method the table lacks: it exists in no revision."""


def method_not_found(name: str) -> JSONRPCError:
    return JSONRPCError(METHOD_NOT_FOUND, f"Method not found: {short(name)}")


def short(text: str, limit: int = 100) -> str:
    """`text` quoted, cut at `limit` characters: for echoing client input in a message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
