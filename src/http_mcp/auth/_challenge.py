"""Refusals of the protected endpoint: status, RFC 6750 challenge and a JSON-RPC error body."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from starlette.responses import Response

from http_mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, RequestId, error_bytes

INVALID_TOKEN: Final = "invalid_token"
INVALID_REQUEST_ERROR: Final = "invalid_request"
INSUFFICIENT_SCOPE: Final = "insufficient_scope"
_ALLOWED: Final = frozenset(chr(code) for code in range(0x20, 0x7F)) - {'"', "\\"}
_MAX_VALUE: Final = 2000


@dataclass(frozen=True, slots=True)
class Challenger:
    """Builds the refusals of one protected resource.

    Attributes:
        resource_metadata: The URL of the RFC 9728 metadata, named in every challenge.
        scopes: The scopes named in 401 challenges: what a new token should ask for.
    """

    resource_metadata: str | None = None
    scopes: tuple[str, ...] = ()

    def unauthorized(self, error: str | None = None, description: str | None = None) -> Response:
        """401: no token was sent (`error` None), or the one sent was refused."""
        text = "Unauthorized: " + (description or "send an access token as Authorization: Bearer")
        return self._refuse(401, text, None, error, description, self.scopes)

    def bad_request(self, description: str) -> Response:
        """400 `invalid_request`: the token was sent some way other than one Bearer header."""
        text = f"Bad request: {description}"
        return self._refuse(400, text, None, INVALID_REQUEST_ERROR, description, ())

    def forbidden(self, scopes: Iterable[str], request_id: RequestId | None) -> Response:
        """403 `insufficient_scope`, naming every scope the request needs."""
        needed = tuple(scopes)
        text = f"Forbidden: this request needs the scopes {' '.join(needed)}"
        description = "The access token lacks a scope this request needs"
        return self._refuse(403, text, request_id, INSUFFICIENT_SCOPE, description, needed)

    def _refuse(
        self,
        status: int,
        text: str,
        request_id: RequestId | None,
        error: str | None,
        description: str | None,
        scopes: tuple[str, ...],
    ) -> Response:
        params: list[tuple[str, str]] = []
        if error is not None:
            params.extend([("error", error), ("error_description", description or error)])
        if scopes:
            params.append(("scope", " ".join(scopes)))
        if self.resource_metadata is not None:
            params.append(("resource_metadata", self.resource_metadata))
        data = {"error": error} if error is not None else None
        body = error_bytes(request_id, INVALID_REQUEST, text, data)
        return _json(status, body, {"www-authenticate": _challenge(params)})


def unavailable() -> Response:
    """503: the token could not be checked now; nothing is wrong with it as far as is known."""
    text = "Service unavailable: the access token cannot be verified right now"
    return _json(503, error_bytes(None, INTERNAL_ERROR, text), {"retry-after": "5"})


def verifier_failed() -> Response:
    return _json(500, error_bytes(None, INTERNAL_ERROR, "Internal error"), {})


def _challenge(params: list[tuple[str, str]]) -> str:
    return ("Bearer " + ", ".join(f'{name}="{_quoted(value)}"' for name, value in params)).rstrip()


def _quoted(value: str) -> str:
    # RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E in these values: a verifier's message
    # may hold anything, and a newline in a header would break the response.
    return "".join(char for char in value[:_MAX_VALUE] if char in _ALLOWED)


def _json(status: int, body: bytes, headers: dict[str, str]) -> Response:
    return Response(body, status_code=status, headers=headers, media_type="application/json")
