"""`JWTVerifier`: self-contained access tokens (RFC 9068 style JWTs) checked with PyJWT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx
import jwt

from http_mcp.auth._jwks import ASYMMETRIC_ALGORITHMS, RemoteKeys, StaticKeys
from http_mcp.auth._token import (
    AccessToken,
    InvalidTokenError,
    audience_matches,
    optional_int,
    optional_str,
    scopes_of,
)
from http_mcp.auth._urls import check_url

_REQUIRED_CLAIMS: Final = ["exp", "iss", "aud"]


class JWTVerifier:
    """Verifies JWT access tokens signed by the authorization server.

    Checks the signature with a key of the token's algorithm family (keys from `jwks_url`,
    cached and refetched when a token names a new key id, or given as `jwks`), the issuer,
    `exp` and `nbf` (with `leeway` seconds of clock skew) and that `aud` names `audience`,
    this server's canonical resource URI (RFC 8707). Scopes come from `scope` or `scp`.

    Args:
        issuer: The `iss` the tokens must carry, exactly.
        audience: The `aud` the tokens must carry: this server's resource URI.
        jwks_url: Where the authorization server publishes its keys (its `jwks_uri`).
        jwks: The keys as a JWKS document, instead of `jwks_url`.
        algorithms: The signature algorithms accepted. Only asymmetric ones exist here:
            a resource server never holds the secret of an HMAC-signed token.
        leeway: Seconds of clock skew tolerated on `exp` and `nbf`.
        cache_ttl: Seconds the fetched keys are used before they are fetched again.
        min_refetch_interval: Seconds between two refetches caused by unknown key ids, and
            between retries after a failed fetch.
        timeout: Seconds a key fetch may take.
        http_client: An `httpx.AsyncClient` to fetch keys with; by default one per fetch.

    Example:
        ```python
        verifier = JWTVerifier(
            issuer="https://auth.example.com",
            audience="https://api.example.com/mcp",
            jwks_url="https://auth.example.com/.well-known/jwks.json",
        )
        ```

    Raises:
        ValueError: neither or both of `jwks_url` and `jwks`, an algorithm that is not
            asymmetric, or a `jwks_url` that is neither https nor loopback.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        jwks: Mapping[str, Any] | None = None,
        algorithms: Sequence[str] = ASYMMETRIC_ALGORITHMS,
        leeway: float = 30,
        cache_ttl: float = 300,
        min_refetch_interval: float = 30,
        timeout: float = 5,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        unsupported = [alg for alg in algorithms if alg not in ASYMMETRIC_ALGORITHMS]
        if unsupported or not algorithms:
            raise ValueError(
                f"JWTVerifier algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)}; "
                f"got {unsupported or 'none'} (shared-secret and 'none' tokens are never accepted)"
            )
        self.issuer = issuer
        self.audience = audience
        self._algorithms = frozenset(algorithms)
        self._leeway = leeway
        self._keys: RemoteKeys | StaticKeys
        if jwks_url is not None and jwks is None:
            check_url(jwks_url, "jwks_url")
            self._keys = RemoteKeys(
                jwks_url,
                cache_ttl=cache_ttl,
                min_refetch_interval=min_refetch_interval,
                timeout=timeout,
                http_client=http_client,
            )
        elif jwks is not None and jwks_url is None:
            self._keys = StaticKeys(jwks)
        else:
            raise ValueError("JWTVerifier needs exactly one of jwks_url= and jwks=")

    async def verify(self, token: str) -> AccessToken:
        """Check `token`; raise `InvalidTokenError` or `VerifierUnavailableError`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidTokenError("The access token is not a well-formed JWT") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidTokenError("The access token's signature algorithm is not accepted")
        kid = header.get("kid")
        key = await self._keys.signing_key(kid if isinstance(kid, str) else None, alg)
        claims = self._decode(token, key, alg)
        if not audience_matches(claims, self.audience):
            raise InvalidTokenError("The access token was issued for another resource")
        return AccessToken(
            scopes=scopes_of(claims),
            subject=optional_str(claims, "sub"),
            client_id=optional_str(claims, "client_id") or optional_str(claims, "azp"),
            issuer=optional_str(claims, "iss"),
            expires_at=optional_int(claims, "exp"),
            claims=claims,
        )

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                issuer=self.issuer,
                leeway=self._leeway,
                # The audience is compared below in its RFC 8707 canonical form.
                options={"require": _REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("The access token expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidTokenError("The access token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise InvalidTokenError(
                "The access token was issued by another authorization server"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidTokenError(f"The access token has no {exc.claim} claim") from None
        except jwt.PyJWTError:
            raise InvalidTokenError("The access token's signature or claims are invalid") from None
        return claims
