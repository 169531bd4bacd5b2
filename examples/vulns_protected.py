"""The example server as an OAuth 2.1 resource server: every call needs a bearer token.

Needs the oauth extra (`pip install '.[oauth]'` in a checkout) and an authorization server that
issues JWTs for this server. Configure it with environment variables, read when the app is
built, and run the factory:

    MCP_ISSUER=https://auth.example.com \\
    MCP_JWKS_URL=https://auth.example.com/.well-known/jwks.json \\
    MCP_RESOURCE=http://127.0.0.1:8000/mcp \\
    uvicorn --factory examples.vulns_protected:protected --port 8000

`get_fix_metadata` needs a token with the `mcp:read` scope; a token without it is challenged
(403 `insufficient_scope`) so that the client can ask for it.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from examples.vulns import lifespan, server
from http_mcp.auth import JWTVerifier, protected_app


def protected() -> Starlette:
    issuer = os.environ["MCP_ISSUER"]
    resource = os.environ.get("MCP_RESOURCE", "http://127.0.0.1:8000/mcp")
    return protected_app(
        server,
        verifier=JWTVerifier(issuer=issuer, audience=resource, jwks_url=os.environ["MCP_JWKS_URL"]),
        resource=resource,
        authorization_servers=[issuer],
        on_insufficient_scope="challenge",
        lifespan=lifespan,
    )
