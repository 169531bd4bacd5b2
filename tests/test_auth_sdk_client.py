"""End to end: the official MCP SDK client's OAuth support against a real local authorization
server (the one that ships with the SDK), discovering everything from the server URL alone."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    IdentityAssertionParams,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.routes import create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyHttpUrl, AnyUrl, ConfigDict, TypeAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from http_mcp.auth import JWTVerifier, protected_app
from tests.auth_support import Deferred, Recorder, ec_key, jwks
from tests.conftest import LEGACY, MODERN

pytestmark = pytest.mark.anyio

SCOPES = ["mcp:read", "admin"]
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never contacted: the test follows the redirect
# An issuer without a path stays without a trailing slash, as the client compares it verbatim.
ISSUER_URL = TypeAdapter(AnyHttpUrl, config=ConfigDict(url_preserve_empty_path=True))


class Provider(OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken]):
    """An authorization server that approves every request and issues ES256 JWTs."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.key = ec_key("as-1")
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.issued: list[dict[str, Any]] = []

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        # This server's policy: a registered client may ask for any scope it knows.
        assert client_info.client_id is not None
        self.clients[client_info.client_id] = client_info.model_copy(
            update={"scope": " ".join(SCOPES)}
        )

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        code = secrets.token_urlsafe(32)
        assert client.client_id is not None
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject="alice",
        )
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        return self.codes.get(authorization_code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        del self.codes[authorization_code.code]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": authorization_code.subject,
            "client_id": client.client_id,
            "scope": " ".join(authorization_code.scopes),
            "iat": now,
            "exp": now + 600,
        }
        if authorization_code.resource is not None:
            claims["aud"] = authorization_code.resource
        self.issued.append(claims)
        token = jwt.encode(claims, self.key.private, "ES256", headers={"kid": self.key.kid})
        return OAuthToken(
            access_token=token, expires_in=600, scope=claims["scope"], token_type="Bearer"
        )

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        return None

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        raise TokenError("invalid_grant", "refresh tokens are not issued here")

    async def load_access_token(self, token: str) -> AccessToken | None:
        return None

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        return None

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "not supported here")


def authorization_server(provider: Provider) -> Starlette:
    async def keys(request: Request) -> JSONResponse:
        return JSONResponse(jwks(provider.key))

    routes = create_auth_routes(
        provider,
        issuer_url=ISSUER_URL.validate_python(provider.issuer),
        client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=SCOPES),
    )
    return Starlette(routes=[*routes, Route("/jwks", keys)])


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Follows the authorization redirect the way a user's browser would, without a user."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        self._results: list[AuthorizationCodeResult] = []

    async def redirect(self, authorization_url: str) -> None:
        self.visited.append(authorization_url)
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.get(authorization_url)
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["location"]).query)
        self._results.append(
            AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])
        )

    async def callback(self) -> AuthorizationCodeResult:
        return self._results.pop()


class StatusLog:
    """Records the status of every response an app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.statuses: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            await send(message)

        await self.app(scope, receive, record)


class Deployment:
    def __init__(self, live: Any) -> None:
        self.recorder = Recorder()
        authorization = Deferred()
        resource = Deferred()
        self.issuer = f"http://127.0.0.1:{live(authorization).port}"
        self.url = live(resource).url
        self.provider = Provider(self.issuer)
        authorization.app = authorization_server(self.provider)
        self.mcp = StatusLog(
            protected_app(
                self.recorder.server(),
                verifier=JWTVerifier(
                    issuer=self.issuer, audience=self.url, jwks_url=f"{self.issuer}/jwks"
                ),
                resource=self.url,
                authorization_servers=[self.issuer],
                required_scopes=["mcp:read"],
                on_insufficient_scope="challenge",
            )
        )
        resource.app = self.mcp


@pytest.fixture
def deployment(live: Any) -> Deployment:
    return Deployment(live)


@asynccontextmanager
async def connect(url: str, mode: str, browser: Browser) -> AsyncIterator[Client]:
    oauth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="http-mcp tests", redirect_uris=[AnyUrl(REDIRECT_URI)]
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )
    async with (
        httpx2.AsyncClient(auth=oauth, timeout=httpx2.Timeout(10.0)) as http,
        Client(
            streamable_http_client(url, http_client=http), mode=mode, read_timeout_seconds=10
        ) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("mode", "version"),
    [
        pytest.param("auto", MODERN, id="2026-07-28"),
        pytest.param("legacy", LEGACY, id="2025-11-25"),
    ],
)
async def test_the_sdk_client_authorizes_from_the_url_alone_and_steps_up_for_admin(
    deployment: Deployment, mode: str, version: str
) -> None:
    browser = Browser()
    async with connect(deployment.url, mode, browser) as client:
        assert client.protocol_version == version
        assert [tool.name for tool in (await client.list_tools()).tools] == [
            "public_tool",
            "read_tool",
        ]
        read = await client.call_tool("read_tool", {"query": "q"})
        assert not read.is_error
        admin = await client.call_tool("admin_tool", {"query": "q"})
        assert not admin.is_error
        assert admin.content[0].model_dump()["text"] == "admin for alice"
        # The client caches a 2026-07-28 list across the step-up; ask the server afresh.
        names = [tool.name for tool in (await client.list_tools(cache_mode="refresh")).tools]
        assert names == ["public_tool", "read_tool", "admin_tool"]
    assert deployment.recorder.calls == ["read_tool", "admin_tool"]
    assert deployment.mcp.statuses[0] == 401
    assert deployment.mcp.statuses.count(401) == 1
    assert deployment.mcp.statuses.count(403) == 1
    assert [claims["scope"] for claims in deployment.provider.issued] == [
        "mcp:read",
        "mcp:read admin",
    ]
    assert all(claims["aud"] == deployment.url for claims in deployment.provider.issued)
    assert len(browser.visited) == 2
    first, step_up = (parse_qs(urlsplit(url).query) for url in browser.visited)
    assert first["resource"] == step_up["resource"] == [deployment.url]
