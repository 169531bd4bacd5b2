"""Protocol revisions and how a request picks one.

Two eras share one endpoint. A request whose `params._meta` names a protocol version, or whose
`MCP-Protocol-Version` header is not a handshake revision, follows the stateless 2026-07-28
rules; anything else follows the handshake (legacy) rules.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from http_mcp._call import Call, Method
from http_mcp._context import Reply, RequestContext
from http_mcp.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    UNSUPPORTED_PROTOCOL_VERSION,
    JSONRPCError,
    Message,
    Notification,
    Request,
    Response,
)

if TYPE_CHECKING:  # the registry reads this module's constants: a cycle at run time
    from http_mcp._registry import Registry

MODERN_VERSIONS: Final = ("2026-07-28",)
LEGACY_VERSIONS: Final = ("2025-11-25", "2025-06-18", "2025-03-26")
SUPPORTED_VERSIONS: Final = (*MODERN_VERSIONS, *LEGACY_VERSIONS)
DEFAULT_LEGACY_VERSION: Final = "2025-03-26"
LATEST_LEGACY_VERSION: Final = LEGACY_VERSIONS[0]

META_PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"

HEADER_PROTOCOL_VERSION: Final = "mcp-protocol-version"
HEADER_METHOD: Final = "mcp-method"
HEADER_NAME: Final = "mcp-name"

logger = logging.getLogger("http_mcp")

_NO_CAPABILITIES: Final[Mapping[str, Any]] = {}
_SENTINEL = re.compile(r"=\?base64\?(?P<payload>.*)\?=")


def is_modern(message: Message, header_version: str | None) -> bool:
    if header_version is not None and header_version not in LEGACY_VERSIONS:
        return True
    if isinstance(message, Request | Notification):
        meta = message.params.get("_meta")
        return isinstance(meta, dict) and META_PROTOCOL_VERSION in meta
    return False


def negotiate(
    message: Request, context: RequestContext, method: Method, registry: Registry
) -> Call:
    """The `Call` for `message`, under the revision it picks.

    Raises `JSONRPCError` when its envelope is wrong.

    The routing headers in `context.headers` (when the transport has headers) are checked
    against the body at 2026-07-28.
    """
    header_version = context.protocol_version
    if not is_modern(message, header_version):
        version = header_version or DEFAULT_LEGACY_VERSION
        declared = context.client_capabilities
        capabilities = _NO_CAPABILITIES if declared is None else declared
        return Call(message, context, method, registry, version, False, capabilities, None)
    meta = message.params.get("_meta")
    if not isinstance(meta, dict):
        if header_version is not None and header_version not in SUPPORTED_VERSIONS:
            raise unsupported_version(header_version, message.id)
        raise JSONRPCError(
            INVALID_PARAMS,
            f"params._meta must be an object carrying {META_PROTOCOL_VERSION!r} and "
            f"{META_CLIENT_CAPABILITIES!r}",
            request_id=message.id,
        )
    if META_PROTOCOL_VERSION not in meta or META_CLIENT_CAPABILITIES not in meta:
        missing = [k for k in (META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES) if k not in meta]
        raise JSONRPCError(
            INVALID_PARAMS,
            f"params._meta is missing {', '.join(repr(k) for k in missing)}",
            request_id=message.id,
        )
    version = meta[META_PROTOCOL_VERSION]
    if context.headers is not None:
        check_routing_headers(message, version, context.headers, method.target)
    if not isinstance(version, str):
        raise JSONRPCError(
            INVALID_PARAMS, f"{META_PROTOCOL_VERSION} must be a string", request_id=message.id
        )
    if version not in MODERN_VERSIONS:
        raise unsupported_version(version, message.id)
    capabilities = meta[META_CLIENT_CAPABILITIES]
    if not isinstance(capabilities, dict):
        raise JSONRPCError(
            INVALID_PARAMS, f"{META_CLIENT_CAPABILITIES} must be an object", request_id=message.id
        )
    info = meta.get(META_CLIENT_INFO)
    client_info = info if isinstance(info, dict) else None
    return Call(message, context, method, registry, version, True, capabilities, client_info)


def acknowledge(message: Notification | Response, context: RequestContext) -> Reply | None:
    """A notification or a client's response gets no answer, unless its version is unknown."""
    version = context.protocol_version
    if version is not None and version not in SUPPORTED_VERSIONS:
        error = unsupported_version(version)
        return Reply(error.to_bytes(), error.code, modern=True)
    if isinstance(message, Notification):
        logger.debug("notification %r acknowledged", message.method)
    return None


def unsupported_version(version: Any, request_id: Any = None) -> JSONRPCError:
    return JSONRPCError(
        UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
        {"supported": list(SUPPORTED_VERSIONS), "requested": version},
        request_id=request_id,
    )


def check_routing_headers(
    message: Request, version: Any, headers: Mapping[str, str], target: str | None
) -> None:
    """At 2026-07-28 the routing headers must repeat what the body says.

    `target` is the param the method's `Mcp-Name` header repeats, if it has one.
    """
    name = None if target is None else message.params.get(target)
    if (
        headers.get(HEADER_PROTOCOL_VERSION) == version
        and headers.get(HEADER_METHOD) == message.method
        # A name equal to a header value is a string; an encoded one takes the long way.
        and (name is None or (headers.get(HEADER_NAME) == name and not name.startswith("=?")))
    ):
        return  # the usual case, decided without building a message
    _check_header(
        headers.get(HEADER_PROTOCOL_VERSION),
        version,
        "MCP-Protocol-Version",
        "params._meta's protocol version",
        message,
    )
    _check_header(
        headers.get(HEADER_METHOD), message.method, "Mcp-Method", "the request's method", message
    )
    if name is not None:
        _check_header(
            headers.get(HEADER_NAME),
            name,
            "Mcp-Name",
            f"the request's {target!r}",
            message,
            decode=True,
        )


def _check_header(
    value: str | None,
    wanted: Any,
    header: str,
    what: str,
    message: Request,
    *,
    decode: bool = False,
) -> None:
    if value is None:
        raise _mismatch(f"{header} header is missing; it must repeat {what}", message)
    if (decode_header_value(value) if decode else value) != wanted:
        raise _mismatch(f"{header} header does not match {what}", message)


def _mismatch(text: str, message: Request) -> JSONRPCError:
    return JSONRPCError(HEADER_MISMATCH, text, request_id=message.id)


def decode_header_value(value: str | None) -> str | None:
    """Undo the `=?base64?...?=` form clients use for values a header cannot carry."""
    if value is None or not value.startswith("=?"):
        return value
    match = _SENTINEL.fullmatch(value)
    if match is None:
        return value
    payload = match.group("payload")
    try:
        raw = base64.b64decode(payload, validate=True)
        if base64.b64encode(raw).decode("ascii") != payload:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True, slots=True)
class ParamHeader:
    """A tool argument that clients mirror as an `Mcp-Param-{name}` header (`x-mcp-header`)."""

    path: tuple[str, ...]
    header: str
    kind: str | None


_CANONICAL_DECIMAL = re.compile(r"-?[0-9]+(\.0+)?")


def param_headers(schema: Mapping[str, Any]) -> tuple[ParamHeader, ...]:
    """The `x-mcp-header` annotations reachable from the root through `properties` only."""
    found: list[ParamHeader] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        name = node.get("x-mcp-header")
        if path and isinstance(name, str) and name:
            kind = node.get("type")
            found.append(
                ParamHeader(
                    path, f"mcp-param-{name.lower()}", kind if isinstance(kind, str) else None
                )
            )
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            stack.extend(((*path, key), value) for key, value in properties.items())
    return tuple(sorted(found, key=lambda p: p.path))


def check_param_headers(
    message: Request,
    params: tuple[ParamHeader, ...],
    arguments: Mapping[str, Any],
    headers: Mapping[str, str],
) -> None:
    """At 2026-07-28 each annotated argument and its `Mcp-Param-*` header must agree."""
    for param in params:
        value: Any = arguments
        for key in param.path:
            value = value.get(key) if isinstance(value, Mapping) else None
        raw = headers.get(param.header)
        label = ".".join(param.path)
        if value is None:
            if raw is not None:
                raise _mismatch(f"{param.header} header is present but {label!r} is not", message)
            continue
        rendered = _render(value)
        if raw is None:
            if rendered is None:
                continue
            raise _mismatch(f"{param.header} header is missing; it must repeat {label!r}", message)
        decoded = decode_header_value(raw)
        if rendered is None or decoded is None or not _same(param.kind, value, rendered, decoded):
            raise _mismatch(f"{param.header} header does not match {label!r}", message)


def _render(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def _same(kind: str | None, value: Any, rendered: str, decoded: str) -> bool:
    if kind == "integer" and isinstance(value, int) and _CANONICAL_DECIMAL.fullmatch(decoded):
        return int(decoded.split(".")[0]) == value
    return decoded == rendered
