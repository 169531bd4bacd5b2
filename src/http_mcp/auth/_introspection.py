"""`IntrospectionVerifier`: opaque tokens checked with the authorization server (RFC 7662)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx

from http_mcp.auth._token import (
    AccessToken,
    InvalidTokenError,
    VerifierUnavailableError,
    audience_matches,
    optional_int,
    optional_str,
    scopes_of,
)
from http_mcp.auth._urls import check_url

logger = logging.getLogger("http_mcp.auth")


class IntrospectionVerifier:
    """Verifies opaque tokens by asking the authorization server's introspection endpoint.

    An active token is remembered for at most `cache_ttl` seconds and never past its `exp`,
    so that a burst of requests costs one round trip; `active: false` is refused.

    Args:
        endpoint: The authorization server's `introspection_endpoint`.
        client_id: This resource server's client id at the authorization server.
        client_secret: Its secret.
        audience: The `aud` an active token must name: this server's resource URI. Pass
            `None` only when the authorization server binds tokens to resources some other
            way and does not report `aud`.
        issuer: The `iss` an active token must carry, when the server reports one.
        auth_method: How the client credentials are sent: HTTP Basic or form fields.
        cache_ttl: Seconds an active token is remembered (0: ask every time).
        cache_size: How many tokens are remembered at most.
        timeout: Seconds an introspection request may take.
        http_client: An `httpx.AsyncClient` to reuse connections; by default one per request.
        clock: The current time in seconds since the epoch; tests replace it.

    Example:
        ```python
        verifier = IntrospectionVerifier(
            endpoint="https://auth.example.com/oauth/introspect",
            client_id="mcp-server",
            client_secret=os.environ["INTROSPECTION_SECRET"],
            audience="https://api.example.com/mcp",
        )
        ```
    """

    def __init__(
        self,
        *,
        endpoint: str,
        client_id: str,
        client_secret: str,
        audience: str | None,
        issuer: str | None = None,
        auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic",
        cache_ttl: float = 60,
        cache_size: int = 1024,
        timeout: float = 5,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_url(endpoint, "endpoint")
        if cache_size < 0 or cache_ttl < 0:
            raise ValueError("cache_size and cache_ttl must not be negative")
        self.audience = audience
        self.issuer = issuer
        self._endpoint = endpoint
        self._credentials = (client_id, client_secret)
        self._auth_method = auth_method
        self._ttl = cache_ttl
        self._size = cache_size
        self._timeout = timeout
        self._client = http_client
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[AccessToken, float]] = OrderedDict()

    async def verify(self, token: str) -> AccessToken:
        """Check `token`; raise `InvalidTokenError` or `VerifierUnavailableError`."""
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None:
            if now < cached[1]:
                self._cache.move_to_end(key)
                return cached[0]
            del self._cache[key]
        access = self._accept(await self._introspect(token), now)
        self._remember(key, access, now)
        return access

    def _accept(self, answer: Mapping[str, Any], now: float) -> AccessToken:
        if answer.get("active") is not True:
            raise InvalidTokenError("The access token is not active")
        expires_at = optional_int(answer, "exp")
        if expires_at is not None and expires_at <= now:
            raise InvalidTokenError("The access token expired")
        not_before = optional_int(answer, "nbf")
        if not_before is not None and not_before > now:
            raise InvalidTokenError("The access token is not valid yet")
        if self.audience is not None and not audience_matches(answer, self.audience):
            raise InvalidTokenError("The access token was issued for another resource")
        if self.issuer is not None and answer.get("iss", self.issuer) != self.issuer:
            raise InvalidTokenError("The access token was issued by another authorization server")
        return AccessToken(
            scopes=scopes_of(answer),
            subject=optional_str(answer, "sub"),
            client_id=optional_str(answer, "client_id"),
            issuer=optional_str(answer, "iss"),
            expires_at=expires_at,
            claims=dict(answer),
        )

    def _remember(self, key: bytes, access: AccessToken, now: float) -> None:
        until = now + self._ttl
        if access.expires_at is not None:
            until = min(until, access.expires_at)
        if until <= now or self._size == 0:
            return
        self._cache[key] = (access, until)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)

    async def _introspect(self, token: str) -> Mapping[str, Any]:
        form = {"token": token, "token_type_hint": "access_token"}
        options: dict[str, Any] = {"headers": {"accept": "application/json"}}
        if self._auth_method == "client_secret_post":
            form.update(client_id=self._credentials[0], client_secret=self._credentials[1])
        else:
            options["auth"] = httpx.BasicAuth(*self._credentials)
        try:
            response = await self._post(form, options)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("token introspection at %s failed: %s", self._endpoint, exc)
            raise VerifierUnavailableError("The authorization server could not be asked") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("active"), bool):
            logger.warning("token introspection at %s gave no active member", self._endpoint)
            raise VerifierUnavailableError("The authorization server gave an unusable answer")
        return answer

    async def _post(self, form: dict[str, str], options: dict[str, Any]) -> httpx.Response:
        if self._client is not None:
            return await self._client.post(
                self._endpoint, data=form, timeout=self._timeout, **options
            )
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            return await client.post(self._endpoint, data=form, **options)
