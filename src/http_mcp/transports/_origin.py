"""Host and Origin checks: the spec's defence against DNS rebinding and cross-site requests.

A page on `http://evil.example.com` whose name an attacker rebinds to 127.0.0.1 reaches a
server on the user's machine with `Host: evil.example.com` and
`Origin: http://evil.example.com`. So a server reached on a loopback address accepts only
loopback hosts unless told otherwise, and an `Origin`, when present, must be the origin the
request was sent to or one the server was configured to accept. Clients that are not browsers
send no `Origin` and pass that check.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Final, NamedTuple

from starlette.types import Scope

from http_mcp.jsonrpc import INVALID_REQUEST, error_bytes

logger = logging.getLogger("http_mcp")

MISDIRECTED: Final = 421
FORBIDDEN: Final = 403

_NAME: Final = r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::([0-9]{1,5}))?"
_AUTHORITY: Final = re.compile(_NAME)
_ORIGIN: Final = re.compile(r"([a-z][a-z0-9+.-]*)://" + _NAME)
_FORWARDED_PAIR: Final = re.compile(
    r"[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(\"(?:[^\"\\]|\\.)*\"|[^;, \t]*)[ \t]*([;,]?)"
)
_QUOTED_PAIR: Final = re.compile(r"\\(.)")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
_LOOPBACK_SERVERS: Final = frozenset({"127.0.0.1", "::1"})
_SHOWN_LENGTH: Final = 100
_REMEMBERED_HOSTS: Final = 256
_LONGEST_HOST: Final = 261  # a 253-character DNS name and a port
_HOSTS_SETTING: Final = "MCPServer(allowed_hosts=[...])"
_ORIGINS_SETTING: Final = "MCPServer(allowed_origins=[...])"


class Authority(NamedTuple):
    """A `Host` value: lower-case name (IPv6 in brackets) and the port, if one was given."""

    name: str
    port: int | None


class Origin(NamedTuple):
    """An `Origin` value, the port filled in from the scheme when it was left out."""

    scheme: str
    name: str
    port: int | None


class Forwarded(NamedTuple):
    """What a proxy says about the request it forwarded."""

    host: str | None
    host_header: str
    proto: str | None
    proto_header: str


class OriginPolicy:
    """Which `Host` and `Origin` values a request may carry; built once per app."""

    def __init__(
        self,
        allowed_hosts: Sequence[str] | None = None,
        allowed_origins: Sequence[str] | None = None,
        trust_forwarded_headers: bool = False,
    ) -> None:
        self._hosts = None if allowed_hosts is None else _HostList(allowed_hosts)
        self._origins: frozenset[Origin] | None = None
        self._any_origin = False
        if allowed_origins is not None:
            entries = _entries(allowed_origins, "allowed_origins")
            self._any_origin = "*" in entries
            self._origins = frozenset(_origin_entry(e) for e in entries if e != "*")
        self._trust_forwarded = trust_forwarded_headers
        self._accepted_hosts: set[tuple[bytes | None, Any]] = set()

    def refusal(
        self, scope: Scope, host: bytes | None, origin: bytes | None
    ) -> tuple[int, bytes] | None:
        """The status and JSON-RPC error body refusing this request, or `None` to serve it.

        `host` and `origin` are the request's headers of those names (repeated values joined
        with commas), or `None` when it has none.
        """
        server = scope.get("server")
        # A client sends the same Host to the same address request after request: an
        # accepted pair is remembered (refusals are worked out again, with their text).
        seen = (host, server[0] if server else None)
        if origin is None and seen in self._accepted_hosts:
            return None
        host_text = None if host is None else host.decode("latin-1")
        host_header = "Host"
        proto = None
        if self._trust_forwarded:
            forwarded = forwarded_values(scope["headers"])
            if forwarded.host is not None:
                host_text, host_header = forwarded.host, forwarded.host_header
            proto = forwarded.proto
        on_loopback = reached_on_loopback(server)
        if not self._host_allowed(host_text, on_loopback):
            text = self._host_refusal_text(host_text, host_header, on_loopback, scope)
            return _refuse(MISDIRECTED, text)
        if origin is None:
            # Not when the verdict rests on other headers too; not a Host no name is as long as.
            if not self._trust_forwarded and (host is None or len(host) <= _LONGEST_HOST):
                if len(self._accepted_hosts) >= _REMEMBERED_HOSTS:
                    self._accepted_hosts.clear()
                self._accepted_hosts.add(seen)
            return None
        origin_text = origin.decode("latin-1")
        if self._origin_allowed(origin_text, host_text, proto):
            return None
        text = self._origin_refusal_text(origin_text, host_text, proto, scope)
        return _refuse(FORBIDDEN, text)

    def _host_allowed(self, host: str | None, on_loopback: bool) -> bool:
        if self._hosts is None:
            if not on_loopback:
                return True
            authority = None if host is None else parse_authority(host)
            return authority is not None and is_loopback_name(authority.name)
        if self._hosts.any:
            return True
        authority = None if host is None else parse_authority(host)
        if authority is None:
            return False
        if on_loopback and is_loopback_name(authority.name):
            return True
        return self._hosts.admits(authority)

    def _origin_allowed(self, origin_text: str, host: str | None, proto: str | None) -> bool:
        if self._any_origin:
            return True
        origin = parse_origin(origin_text)
        if origin is None:
            return False
        if self._origins is not None:
            return origin in self._origins
        authority = None if host is None else parse_authority(host)
        if authority is None:
            return False
        if is_loopback_name(origin.name) and is_loopback_name(authority.name):
            return True
        port = authority.port if authority.port is not None else _DEFAULT_PORTS.get(origin.scheme)
        return (
            origin.scheme in _DEFAULT_PORTS
            and origin.name == authority.name
            and origin.port == port
            and (proto is None or proto == origin.scheme)
        )

    def _host_refusal_text(
        self, host: str | None, header: str, on_loopback: bool, scope: Scope
    ) -> str:
        if self._hosts is None:
            rule = "this server is reached on a loopback address, so it accepts only loopback hosts"
        elif on_loopback:
            rule = f"this server accepts only loopback hosts and those in {_HOSTS_SETTING}"
        else:
            rule = f"this server accepts only the hosts in {_HOSTS_SETTING}"
        if host is None:
            return (
                f"The request has no Host header: {rule}; send one, or accept any host with "
                "MCPServer(allowed_hosts=['*'])"
            )
        source = "" if header == "Host" else f" (from {header})"
        authority = parse_authority(host)
        if authority is None:
            return f"Host {_shown(host)}{source} is not a host name: {rule}"
        text = (
            f"Host {_shown(host)}{source} is not allowed: {rule}; to serve this name (as behind a "
            "reverse proxy that passes it on, like nginx's proxy_set_header Host $host), add it "
            f"to {_HOSTS_SETTING}{_example('allowed_hosts', authority.name)}"
        )
        if not self._trust_forwarded:
            forwarded = forwarded_values(scope["headers"])
            if forwarded.host is not None and self._host_allowed(forwarded.host, on_loopback):
                text += _trust_fixes(forwarded.host_header, forwarded.host, None)
        return text

    def _origin_refusal_text(
        self, origin: str, host: str | None, proto: str | None, scope: Scope
    ) -> str:
        subject = f"Origin {_shown(origin)} is not allowed"
        if origin.strip().lower() == "null":
            return (
                f"{subject}: pages without an origin (sandboxed frames, local files) may not "
                "call this server; serve the page from a real origin and add that to "
                f"{_ORIGINS_SETTING}"
            )
        parsed = parse_origin(origin)
        if parsed is None:
            return f"{subject}: it is not an origin of the form scheme://host[:port]"
        fix = (
            f"to let pages from it call this server, add it to {_ORIGINS_SETTING}"
            f"{_example('allowed_origins', origin.strip().lower())}"
        )
        if self._origins is not None:
            return f"{subject}: it is not in {_ORIGINS_SETTING}; {fix}"
        if host is None:
            target = "a request without a Host header"
        elif proto is not None:
            target = _shown(f"{proto}://{host}")
        else:
            target = f"Host {_shown(host)}"
        text = f"{subject}: it is not the origin this request was sent to ({target}); {fix}"
        if not self._trust_forwarded:
            text += self._forwarded_origin_fix(origin, host, scope)
        return text

    def _forwarded_origin_fix(self, origin: str, host: str | None, scope: Scope) -> str:
        """How trusting the proxy's headers would serve the origin, if it would."""
        forwarded = forwarded_values(scope["headers"])
        if forwarded.host is None and forwarded.proto is None:
            return ""
        forwarded_host = forwarded.host if forwarded.host is not None else host
        if not self._origin_allowed(origin, forwarded_host, forwarded.proto):
            return ""
        header, value = (
            (forwarded.host_header, forwarded.host)
            if forwarded.host is not None
            else (forwarded.proto_header, forwarded.proto or "")
        )
        on_loopback = reached_on_loopback(scope.get("server"))
        authority = None if forwarded_host is None else parse_authority(forwarded_host)
        also_host = None
        if authority is not None and not self._host_allowed(forwarded_host, on_loopback):
            also_host = authority.name
        return _trust_fixes(header, value, also_host)


class _HostList:
    """`allowed_hosts`: exact names (any port or one port), `*.suffix` wildcards, or `*`."""

    def __init__(self, allowed: Sequence[str]) -> None:
        entries = _entries(allowed, "allowed_hosts")
        self.any = "*" in entries
        names: set[str] = set()
        with_port: set[Authority] = set()
        suffixes: list[Authority] = []
        for entry in entries:
            if entry == "*":
                continue
            authority = _host_entry(entry)
            if authority.name.startswith("."):
                suffixes.append(authority)
            elif authority.port is None:
                names.add(authority.name)
            else:
                with_port.add(authority)
        self._names = frozenset(names)
        self._with_port = frozenset(with_port)
        self._suffixes = tuple(suffixes)

    def admits(self, authority: Authority) -> bool:
        if authority.name in self._names or authority in self._with_port:
            return True
        return any(
            authority.name.endswith(suffix.name)
            and (suffix.port is None or suffix.port == authority.port)
            for suffix in self._suffixes
        )


@lru_cache(maxsize=128)
def parse_authority(text: str) -> Authority | None:
    """`host[:port]` as a `Host` header carries it, or `None` when it is not one."""
    match = _AUTHORITY.fullmatch(text.lower())
    if match is None:
        return None
    name, port = match.groups()
    return _checked(name, int(port) if port else None)


@lru_cache(maxsize=128)
def parse_origin(text: str) -> Origin | None:
    """`scheme://host[:port]` as an `Origin` header carries it, or `None` when it is not one."""
    match = _ORIGIN.fullmatch(text.lower())
    if match is None:
        return None
    scheme, name, port = match.groups()
    number = int(port) if port else _DEFAULT_PORTS.get(scheme)
    checked = _checked(name, number)
    return None if checked is None else Origin(scheme, checked.name, checked.port)


def _checked(name: str, port: int | None) -> Authority | None:
    if name.endswith("."):
        name = name[:-1]
    if not name or name.startswith(".") or (port is not None and port > 65535):
        return None
    return Authority(name, port)


def is_loopback_name(name: str) -> bool:
    """Whether a host name (IPv6 in brackets) always means this machine."""
    if name in _LOOPBACK_NAMES:
        return True
    if name.startswith("127."):
        return _is_loopback_ip(name)
    if name.startswith("[") and name.endswith("]"):
        return _is_loopback_ip(name[1:-1])
    return False


def reached_on_loopback(server: Any) -> bool:
    """Whether the ASGI `server` address (the local end of the connection) is loopback."""
    if not server:
        return False
    address = server[0]
    return address in _LOOPBACK_SERVERS or _is_loopback_ip(address)


@lru_cache(maxsize=64)
def _is_loopback_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def forwarded_values(headers: Iterable[tuple[bytes, bytes]]) -> Forwarded:
    """The host and scheme a proxy reports: `Forwarded` first, then `X-Forwarded-*`.

    Only the first value of each counts, the one the outermost proxy wrote, so the proxies
    must set these headers rather than append to what the client sent.
    """
    forwarded = forwarded_host = forwarded_proto = None
    for name, value in headers:
        if name == b"forwarded" and forwarded is None:
            forwarded = value.decode("latin-1")
        elif name == b"x-forwarded-host" and forwarded_host is None:
            forwarded_host = value.decode("latin-1")
        elif name == b"x-forwarded-proto" and forwarded_proto is None:
            forwarded_proto = value.decode("latin-1")
    element = _first_forwarded_element(forwarded) if forwarded else {}
    host = element.get("host") or None
    header = "Forwarded"
    if host is None:
        host = _first_value(forwarded_host)
        header = "X-Forwarded-Host"
    proto = element.get("proto") or None
    proto_header = "Forwarded"
    if proto is None:
        proto = _first_value(forwarded_proto)
        proto_header = "X-Forwarded-Proto"
    return Forwarded(host, header, None if proto is None else proto.lower(), proto_header)


def _first_forwarded_element(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _FORWARDED_PAIR.match(value, position)
        if match is None:
            break
        key, raw, separator = match.groups()
        if raw.startswith('"'):
            raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
        params.setdefault(key.lower(), raw)
        if separator != ";":
            break
        position = match.end()
    return params


def _first_value(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(",", 1)[0].strip(" \t") or None


def _entries(items: Iterable[str], setting: str) -> list[str]:
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise TypeError(f"MCPServer {setting} must be a list of strings, e.g. [{items!r}]")
    entries = list(items)
    for item in entries:
        if not isinstance(item, str):
            raise TypeError(f"MCPServer {setting} must hold strings, got {item!r}")
    return [item.strip() for item in entries]


def _host_entry(entry: str) -> Authority:
    text = entry.lower()
    wildcard = text.startswith("*.")
    if wildcard:
        text = text[2:]
    if text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"
    authority = parse_authority(text)
    if authority is None:
        hint = " (origins like 'https://example.com' go in allowed_origins)" if "/" in entry else ""
        raise ValueError(
            f"MCPServer allowed_hosts entry {entry!r} is not a host: write 'example.com', "
            f"'example.com:8443', '*.example.com' or '*'{hint}"
        )
    if wildcard:
        return Authority("." + authority.name, authority.port)
    return authority


def _origin_entry(entry: str) -> Origin:
    origin = parse_origin(entry.removesuffix("/"))
    if origin is None:
        raise ValueError(
            f"MCPServer allowed_origins entry {entry!r} is not an origin: write "
            "scheme://host[:port] with no path, e.g. 'https://app.example.com' or "
            "'http://localhost:3000', or '*' for any"
        )
    return origin


def _trust_fixes(header: str, value: str, also_host: str | None) -> str:
    setting = "MCPServer(trust_forwarded_headers=True"
    if also_host is not None and len(also_host) <= _SHOWN_LENGTH:
        setting += f", allowed_hosts=[{also_host!r}]"
    setting += ")"
    return (
        f"; or, since the request carries {header} {_shown(value)}, which is ignored: if a "
        f"proxy you trust sets it, {setting}"
    )


def _example(setting: str, entry: str) -> str:
    return "" if len(entry) > _SHOWN_LENGTH else f": {setting}=[{entry!r}]"


def _shown(text: str) -> str:
    if len(text) > _SHOWN_LENGTH:
        text = text[:_SHOWN_LENGTH] + "..."
    return repr(text)


def _refuse(status: int, text: str) -> tuple[int, bytes]:
    logger.info("Refused a request with %d: %s", status, text)
    return status, error_bytes(None, INVALID_REQUEST, text)
