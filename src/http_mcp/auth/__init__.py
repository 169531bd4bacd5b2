"""OAuth 2.1 resource server support: bearer tokens, scopes and RFC 9728 metadata.

Needs the `oauth` extra (`pip install '.[oauth]'` in a checkout): PyJWT with `cryptography` for
JWTs, HTTPX for key sets and token introspection.

Example:
    ```python
    from http_mcp.auth import JWTVerifier, protected_app

    app = protected_app(
        server,
        verifier=JWTVerifier(
            issuer="https://auth.example.com",
            audience="https://api.example.com/mcp",
            jwks_url="https://auth.example.com/.well-known/jwks.json",
        ),
        resource="https://api.example.com/mcp",
        authorization_servers=["https://auth.example.com"],
    )
    ```

What a token verifier raises:

```
AuthError                  base class
├── InvalidTokenError           the token is refused: 401, error="invalid_token"
└── VerifierUnavailableError    the token cannot be checked now: 503
```
"""

try:
    import httpx  # noqa: F401
    import jwt
except ImportError as exc:  # pragma: no cover - exercised in a subprocess (test_auth_app)
    raise ImportError(
        "http_mcp.auth needs the 'oauth' extra: pip install '.[oauth]' in a checkout of http-mcp"
    ) from exc
if not jwt.algorithms.has_crypto:  # pragma: no cover - exercised in a subprocess
    raise ImportError(
        "http_mcp.auth needs PyJWT with cryptography: pip install '.[oauth]' in a checkout"
    )

from http_mcp import _public
from http_mcp.auth._app import protected_app, protected_routes
from http_mcp.auth._backend import BearerBackend, TokenUser
from http_mcp.auth._introspection import IntrospectionVerifier
from http_mcp.auth._jwt import JWTVerifier
from http_mcp.auth._token import (
    AccessToken,
    AuthError,
    InvalidTokenError,
    TokenVerifier,
    VerifierUnavailableError,
)

__all__ = [
    "AccessToken",
    "AuthError",
    "BearerBackend",
    "IntrospectionVerifier",
    "InvalidTokenError",
    "JWTVerifier",
    "TokenUser",
    "TokenVerifier",
    "VerifierUnavailableError",
    "protected_app",
    "protected_routes",
]

_public.publish(__name__, globals(), __all__)
