"""JSON Web Key Sets: which key verifies a token, fetched, cached and rotated.

A key only verifies the algorithms of its own family (an RSA key never verifies HS256 or
ES256), so the token's header cannot pick how its signature is checked.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any, Final

import anyio
import httpx
import jwt

from http_mcp.auth._token import InvalidTokenError, VerifierUnavailableError

logger = logging.getLogger("http_mcp.auth")

# algorithm -> (key type, curves it may use; empty: any)
_FAMILIES: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    **{alg: ("RSA", frozenset()) for alg in ("RS256", "RS384", "RS512")},
    **{alg: ("RSA", frozenset()) for alg in ("PS256", "PS384", "PS512")},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
ASYMMETRIC_ALGORITHMS: Final = tuple(_FAMILIES)
_NO_KEY: Final = "No signing key of the authorization server matches the access token"


class KeySet:
    """The signing keys of one JWKS document."""

    def __init__(self, document: Any) -> None:
        keys = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(keys, list):
            raise ValueError('a JWKS document is a JSON object with a "keys" array')
        self._jwks = [dict(key) for key in keys if isinstance(key, Mapping) and _signs(key)]
        self._kids = frozenset(key["kid"] for key in self._jwks if isinstance(key.get("kid"), str))
        self._built: dict[tuple[int, str], jwt.PyJWK | None] = {}

    def knows(self, kid: str) -> bool:
        return kid in self._kids

    def find(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        """The key for a token's `kid` and `alg`; without a `kid`, the only key that fits."""
        fitting = [
            index
            for index, key in enumerate(self._jwks)
            if _fits(key, alg) and (kid is None or key.get("kid") == kid)
        ]
        if kid is None and len(fitting) != 1:
            return None
        for index in fitting:
            built = self._build(index, alg)
            if built is not None:
                return built
        return None

    def _build(self, index: int, alg: str) -> jwt.PyJWK | None:
        if (index, alg) not in self._built:
            try:
                built: jwt.PyJWK | None = jwt.PyJWK(self._jwks[index], algorithm=alg)
            except (jwt.PyJWTError, ValueError, TypeError):
                built = None
            self._built[index, alg] = built
        return self._built[index, alg]


def _signs(key: Mapping[str, Any]) -> bool:
    use = key.get("use")
    ops = key.get("key_ops")
    return (use is None or use == "sig") and (not isinstance(ops, list) or "verify" in ops)


def _fits(key: Mapping[str, Any], alg: str) -> bool:
    kty, curves = _FAMILIES[alg]
    if key.get("kty") != kty or key.get("alg", alg) != alg:
        return False
    return not curves or key.get("crv") in curves


class StaticKeys:
    """Keys given at construction."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._keys = KeySet(document)

    async def signing_key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        key = self._keys.find(kid, alg)
        if key is None:
            raise InvalidTokenError(_NO_KEY)
        return key


class RemoteKeys:
    """Keys fetched from a JWKS URL, kept for `cache_ttl` seconds.

    A token naming a key id the set does not hold triggers one refetch (key rotation), at
    most once per `min_refetch_interval` seconds so that made-up key ids cannot hammer the
    authorization server. A failed fetch keeps the keys already held and is not retried
    within `min_refetch_interval` either.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float,
        min_refetch_interval: float,
        timeout: float,
        http_client: httpx.AsyncClient | None,
    ) -> None:
        self._url = url
        self._ttl = cache_ttl
        self._interval = min_refetch_interval
        self._timeout = timeout
        self._client = http_client
        self._keys: KeySet | None = None
        self._fetched_at = -math.inf
        self._failed_at = -math.inf
        self._refetched_at = -math.inf
        self._lock = anyio.Lock()

    async def signing_key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        started = time.monotonic()
        keys = self._keys
        if keys is None or started - self._fetched_at >= self._ttl:
            keys = await self._fetch(started, unknown_kid=False)
        key = keys.find(kid, alg)
        if key is None and kid is not None and not keys.knows(kid):
            keys = await self._fetch(started, unknown_kid=True)
            key = keys.find(kid, alg)
        if key is None:
            raise InvalidTokenError(_NO_KEY)
        return key

    async def _fetch(self, requested_at: float, *, unknown_kid: bool) -> KeySet:
        async with self._lock:
            now = time.monotonic()
            if self._keys is not None and self._fetched_at >= requested_at:
                return self._keys  # fetched by another request while this one waited
            if now - self._failed_at < self._interval:
                return self._held()
            if unknown_kid:
                if now - self._refetched_at < self._interval:
                    return self._held()
                self._refetched_at = now
            try:
                keys = KeySet(await self._download())
            except (httpx.HTTPError, ValueError) as exc:
                self._failed_at = time.monotonic()
                logger.warning("could not fetch the JWKS at %s: %s", self._url, exc)
                return self._held()
            self._keys, self._fetched_at = keys, time.monotonic()
            return keys

    def _held(self) -> KeySet:
        if self._keys is None:
            raise VerifierUnavailableError(
                "The authorization server's signing keys are unavailable"
            )
        return self._keys

    async def _download(self) -> Any:
        if self._client is not None:
            response = await self._client.get(self._url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self._url)
        response.raise_for_status()
        return response.json()
