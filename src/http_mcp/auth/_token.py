"""What a verified access token says, the interface that verifies one, and how it fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit


class AuthError(Exception):
    """Base of the errors a token verifier raises."""


class InvalidTokenError(AuthError):
    """The token is not acceptable here: answered 401 with `error="invalid_token"`.

    The message becomes the challenge's `error_description`: say what is wrong with the
    token (expired, wrong audience), never repeat the token itself.
    """


class VerifierUnavailableError(AuthError):
    """The token cannot be checked right now (key set or introspection endpoint down): 503."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A verified access token: who it was issued to and what it allows.

    It never holds the token string, so nothing downstream can forward or log it.

    Attributes:
        scopes: The scopes the token grants.
        subject: The resource owner (`sub`), when the token names one.
        client_id: The OAuth client the token was issued to, when known.
        issuer: The authorization server that issued it (`iss`), when known.
        expires_at: When it expires, in seconds since the epoch, when known.
        claims: Every claim (JWT) or introspection member, as received.
    """

    scopes: frozenset[str]
    subject: str | None = None
    client_id: str | None = None
    issuer: str | None = None
    expires_at: int | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, hash=False)


class TokenVerifier(Protocol):
    """Turns a bearer token into an `AccessToken`, or refuses it.

    Example:
        ```python
        class StaticTokens:
            async def verify(self, token: str) -> AccessToken:
                if token != "let-me-in":
                    raise InvalidTokenError("unknown token")
                return AccessToken(scopes=frozenset({"mcp:read"}), subject="ops")
        ```
    """

    async def verify(self, token: str) -> AccessToken:
        """Check `token`; raise `InvalidTokenError` (401) or `VerifierUnavailableError` (503)."""
        ...


def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes of a token: `scope` (space-separated) or else `scp` (a list or a string)."""
    if "scope" in claims:
        return _words(claims["scope"], "scope")
    if "scp" in claims:
        scp = claims["scp"]
        if isinstance(scp, list) and all(isinstance(item, str) for item in scp):
            return frozenset(scp)
        return _words(scp, "scp")
    return frozenset()


def _words(value: Any, name: str) -> frozenset[str]:
    if not isinstance(value, str):
        raise InvalidTokenError(f"The access token's {name} claim is malformed")
    return frozenset(value.split())


def optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def optional_int(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def canonical_uri(uri: str) -> str:
    """An RFC 8707 resource identifier in the form used for comparison.

    Scheme and host are case-insensitive and an empty path equals "/"; everything else is
    compared as it is. Identifiers that are not http(s) URLs are compared verbatim.
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return uri
    path = "" if parts.path == "/" else parts.path
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def audience_matches(claims: Mapping[str, Any], audience: str) -> bool:
    """Whether the `aud` claim (a string or a list of strings) names `audience`."""
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    expected = canonical_uri(audience)
    return any(isinstance(value, str) and canonical_uri(value) == expected for value in values)
