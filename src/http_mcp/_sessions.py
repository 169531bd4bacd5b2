"""The `Mcp-Session-Id` of the handshake revisions: a sealed token that holds nothing.

With `MCPServer(back_channel=True)`, `initialize` over HTTP answers with an `Mcp-Session-Id`:
the capabilities the client declared, signed with the server's `request_state_key` and given
an expiry. The server never stores it and never looks anything up with it; any replica
sharing the key reads it back from the header of a later request, which is how a tool knows
whether the client can answer an elicitation, a sampling or a roots request.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from pydantic_core import to_json

from http_mcp._request_state import RequestStateCodec
from http_mcp.jsonrpc import JSONRPCError

SESSION_MAX_AGE_SECONDS: Final = 30 * 24 * 3600
"""How long a session id verifies: a client connected for longer initializes again."""

ASKABLE: Final = ("elicitation", "sampling", "roots")
"""The client capabilities a session id carries: those the server may ask the client to use."""

_PURPOSE: Final = "mcp-session-id"
_MAX_CAPABILITY_SIZE: Final = 1024


class Sessions:
    """Issues and reads stateless session ids with the server's request-state codec."""

    __slots__ = ("_codec",)

    def __init__(self, codec: RequestStateCodec) -> None:
        self._codec = codec

    def issue(self, capabilities: Mapping[str, Any]) -> str:
        """A session id carrying the askable capabilities among `capabilities`.

        Only visible ASCII: the codec's tokens are base64url text joined by a dot.
        """
        kept: dict[str, Any] = {}
        for name in ASKABLE:
            value = capabilities.get(name)
            if value is None:
                continue
            # A declaration is small; a huge one is kept as a bare "declared" to bound the header.
            small = isinstance(value, dict) and len(to_json(value)) <= _MAX_CAPABILITY_SIZE
            kept[name] = value if small else {}
        # A nonce makes each id unique: two clients declaring the same capabilities in the same
        # second must not share one (cancels and streams are told apart by it).
        data = {"c": kept, "n": secrets.token_urlsafe(12)}
        return self._codec.seal(_PURPOSE, data, max_age_seconds=SESSION_MAX_AGE_SECONDS)

    def open(self, token: str) -> Mapping[str, Any] | None:
        """The capabilities a session id carries, or `None` when it does not verify."""
        try:
            data = self._codec.open(_PURPOSE, token)
        except JSONRPCError:
            return None
        capabilities = data.get("c") if isinstance(data, dict) else None
        return capabilities if isinstance(capabilities, dict) else None
