"""Helpers of the auth tests: real keys and tokens, a JWKS server, a recording MCP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from http_mcp import MCPServer
from http_mcp.types import Arguments, Prompt, Tool
from tests.conftest import URL, LiveServer

ISSUER = "https://auth.example.com"
RESOURCE = URL  # the in-process wire posts to http://127.0.0.1/mcp
METADATA_URL = "http://127.0.0.1/.well-known/oauth-protected-resource/mcp"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: Any

    @property
    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        algorithm = RSAAlgorithm if self.alg.startswith(("RS", "PS")) else ECAlgorithm
        return {**algorithm.to_jwk(public, as_dict=True), "kid": self.kid, "use": "sig"}

    @property
    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def rsa_key(kid: str, alg: str = "RS256") -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for RESOURCE from ISSUER; an override of `None` removes the claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": RESOURCE,
        "sub": "alice",
        "client_id": "client-1",
        "iat": now,
        "exp": now + 600,
        "scope": "mcp:read",
    }
    merged = {**base, **overrides}  # `None` removes the claim
    return {name: value for name, value in merged.items() if value is not None}


def mint(key: SigningKey, alg: str | None = None, kid: str | None = "", **overrides: Any) -> str:
    """A token signed by `key`; `kid=None` leaves the header without a key id."""
    headers = {} if kid is None else {"kid": kid or key.kid}
    return jwt.encode(claims(**overrides), key.private, algorithm=alg or key.alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(payload).encode())


def unsigned(kid: str, **overrides: Any) -> str:
    """An `alg: none` token."""
    return _segments({"alg": "none", "typ": "JWT", "kid": kid}, claims(**overrides)) + "."


def hmac_signed(secret: bytes, kid: str, **overrides: Any) -> str:
    """An HS256 token whose HMAC secret is `secret` (the classic: the issuer's public key)."""
    signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": kid}, claims(**overrides))
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


class KeyServer:
    """Serves a JWKS document that tests may change; counts the fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        self.status = 200
        self.url = ""
        self.app = Starlette(routes=[Route("/jwks", self._jwks)])

    async def _jwks(self, request: Request) -> Response:
        self.fetches += 1
        return JSONResponse(self.document, status_code=self.status)


class Deferred:
    """An ASGI app whose real app is set once its URL (port) is known."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None, "set Deferred.app before the first request"
        await self.app(scope, receive, send)


@contextmanager
def hosted() -> Iterator[tuple[Deferred, int]]:
    """A real socket whose app each test sets: one uvicorn for a whole test module."""
    deferred = Deferred()
    with LiveServer(deferred) as server:
        yield deferred, server.port


_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def challenge(response: httpx.Response) -> dict[str, str]:
    """The parameters of a `WWW-Authenticate: Bearer ...` header."""
    header = response.headers["www-authenticate"]
    assert header.startswith("Bearer"), header
    return dict(_CHALLENGE_PARAM.findall(header))


class Query(BaseModel):
    query: str = ""


@dataclass
class Recorder:
    """An MCP server whose tools and prompt record every call that reaches them."""

    calls: list[str] = field(default_factory=list)

    def server(self, **options: Any) -> MCPServer:
        calls = self.calls

        def public_tool() -> str:
            calls.append("public_tool")
            return "public"

        def read_tool(arguments: Arguments[Query]) -> str:
            calls.append("read_tool")
            return f"read {arguments.request.headers.get('authorization')}"

        def admin_tool(arguments: Arguments[Query]) -> str:
            calls.append("admin_tool")
            user = arguments.request.user
            return f"admin for {user.display_name}"

        def admin_prompt() -> str:
            calls.append("admin_prompt")
            return "admin"

        return MCPServer(
            name="recorder",
            version="1",
            tools=(
                Tool(func=public_tool),
                Tool(func=read_tool, inputs=Query, scopes=("mcp:read",)),
                Tool(func=admin_tool, inputs=Query, scopes=("mcp:read", "admin")),
            ),
            prompts=(Prompt(func=admin_prompt, scopes=("admin",)),),
            **options,
        )
