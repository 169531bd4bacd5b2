"""Integrity-protected `requestState` for multi-round-trip requests (2026-07-28).

A tool that needs input from the client returns what it has so far as state. The client
echoes the state on its retry, maybe to another replica, so the state is signed with a key
that every replica shares (HMAC-SHA256), bound to the tool or prompt it came from, and given
an expiry. Anything altered, foreign, stale or meant for another tool is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from typing import Any, Final

from pydantic_core import from_json, to_json

from http_mcp.jsonrpc import INVALID_PARAMS, JSONRPCError

logger = logging.getLogger("http_mcp")

DEFAULT_MAX_AGE_SECONDS: Final = 600
_VERSION: Final = "s1"


class RequestStateCodec:
    def __init__(self, key: bytes | str | None, max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS):
        if key is None:
            key = secrets.token_bytes(32)
            self.random_key = True
        else:
            self.random_key = False
        raw = key.encode() if isinstance(key, str) else bytes(key)
        if len(raw) < 16:
            raise ValueError(
                "request_state_key must be at least 16 bytes; use secrets.token_hex(32)"
            )
        self._key = raw
        self._max_age = max_age_seconds
        self._warned = False

    def warn_if_random(self) -> None:
        """Log, once, that states will not survive a restart or reach another replica."""
        if self.random_key and not self._warned:
            self._warned = True
            logger.warning(
                "no request_state_key configured: using a random per-process key, so a client "
                "retrying an input-required request (or sending a back_channel session id) on "
                "another replica or after a restart is refused; give every replica the same "
                "MCPServer(request_state_key=...)"
            )

    def seal(self, purpose: str, data: Any, *, max_age_seconds: int | None = None) -> str:
        """`data` signed for `purpose`, valid for the codec's max age or `max_age_seconds`."""
        self.warn_if_random()
        age = self._max_age if max_age_seconds is None else max_age_seconds
        payload = to_json({"v": _VERSION, "p": purpose, "e": int(time.time()) + age, "d": data})
        return f"{_encode(payload)}.{_encode(self._sign(payload))}"

    def open(self, purpose: str, token: Any) -> Any:
        self.warn_if_random()
        if not isinstance(token, str) or token.count(".") != 1:
            raise _refused("it is not a state this server issued")
        body, signature = token.split(".")
        try:
            payload = _decode(body)
            given = _decode(signature)
        except (binascii.Error, ValueError):
            raise _refused("it is not a state this server issued") from None
        # The decoder skips characters outside the alphabet and ignores trailing bits, so only
        # the exact text that was issued is accepted.
        if _encode(payload) != body or _encode(given) != signature:
            raise _refused("it is not a state this server issued")
        if not hmac.compare_digest(given, self._sign(payload)):
            raise _refused("it was altered or was issued by a server with another key")
        content = from_json(payload)
        if content.get("v") != _VERSION or content.get("p") != purpose:
            raise _refused("it was issued for another request")
        if not isinstance(content.get("e"), int) or content["e"] < time.time():
            raise _refused("it has expired; start the request again without it")
        return content.get("d")

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _refused(reason: str) -> JSONRPCError:
    return JSONRPCError(INVALID_PARAMS, f"Invalid requestState: {reason}")
