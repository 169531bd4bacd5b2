"""`BearerBackend`: Starlette authentication from an `Authorization: Bearer` header."""

from __future__ import annotations

import logging
import re
from typing import Final

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import Response

from http_mcp.auth._challenge import INVALID_TOKEN, Challenger, unavailable, verifier_failed
from http_mcp.auth._token import (
    AccessToken,
    InvalidTokenError,
    TokenVerifier,
    VerifierUnavailableError,
)

logger = logging.getLogger("http_mcp.auth")

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_MAX_TOKEN_LENGTH: Final = 16 * 1024


class TokenUser(BaseUser):
    """The caller of a request that carried a valid access token (`request.user`).

    Attributes:
        access_token: What the token says: subject, client, scopes, claims.
    """

    def __init__(self, access_token: AccessToken) -> None:
        self.access_token = access_token

    @property
    def is_authenticated(self) -> bool:
        """Always true: the token was verified."""
        return True

    @property
    def display_name(self) -> str:
        """The token's subject, or else its client id."""
        return self.access_token.subject or self.access_token.client_id or ""

    @property
    def identity(self) -> str:
        """The token's subject."""
        return self.access_token.subject or ""


class BearerError(AuthenticationError):
    """Why a request's token was refused; `BearerBackend.on_error` turns it into a response."""

    def __init__(self, kind: str, description: str) -> None:
        super().__init__(description)
        self.kind = kind
        self.description = description


class BearerBackend(AuthenticationBackend):
    """Authenticates requests by the bearer token in their `Authorization` header.

    A request without one stays unauthenticated (no scopes); a token the verifier accepts
    makes `request.auth.scopes` its scopes and `request.user` a `TokenUser`. A token the
    verifier refuses, or one sent in the query string, is refused before the app runs: pass
    `on_error=backend.on_error` so that the refusal carries the right status and challenge.

    Example:
        ```python
        backend = BearerBackend(verifier)
        app = Starlette(
            routes=[Route("/mcp", server.app, methods=["POST"])],
            middleware=[
                Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)
            ],
        )
        ```
    """

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, TokenUser] | None:
        """Verify the bearer token, if any; `None` when the request carries none."""
        token = bearer_token(conn)
        if token is None:
            return None
        try:
            access = await self.verifier.verify(token)
        except InvalidTokenError as exc:
            raise BearerError(INVALID_TOKEN, str(exc) or "The access token is invalid") from None
        except VerifierUnavailableError as exc:
            raise BearerError("unavailable", str(exc)) from None
        except Exception:
            logger.exception("the token verifier failed")
            raise BearerError("failed", "the token verifier failed") from None
        return AuthCredentials(sorted(access.scopes)), TokenUser(access)

    def on_error(self, conn: HTTPConnection, exc: AuthenticationError) -> Response:
        """The response to a refused token (for `AuthenticationMiddleware(on_error=...)`)."""
        return refusal_response(exc, Challenger())


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of the request's one `Authorization: Bearer` header, or `None` without one.

    Raises:
        BearerError: the token came in the query string, or the header is malformed.
    """
    if "access_token" in conn.query_params:
        raise BearerError(
            "invalid_request", "Send the access token in the Authorization header, not the URL"
        )
    values = conn.headers.getlist("authorization")
    if not values:
        return None
    if len(values) > 1:
        raise BearerError("invalid_request", "Send exactly one Authorization header")
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip(" ")
    if len(token) > _MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise BearerError("invalid_request", "The Authorization header is not Bearer <token>")
    return token


def refusal_response(exc: AuthenticationError, challenger: Challenger) -> Response:
    kind = exc.kind if isinstance(exc, BearerError) else INVALID_TOKEN
    if kind == "invalid_request":
        return challenger.bad_request(str(exc))
    if kind == "unavailable":
        return unavailable()
    if kind == "failed":
        return verifier_failed()
    return challenger.unauthorized(INVALID_TOKEN, str(exc) or "The access token is invalid")
