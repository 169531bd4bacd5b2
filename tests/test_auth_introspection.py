"""Opaque tokens checked by RFC 7662 introspection: activity, audience, caching, outages."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from http_mcp.auth import IntrospectionVerifier, InvalidTokenError, protected_app
from tests.auth_support import (
    ISSUER,
    METADATA_URL,
    RESOURCE,
    Deferred,
    Recorder,
    challenge,
    hosted,
)
from tests.conftest import Wire, wire_for

pytestmark = pytest.mark.anyio

CLIENT = ("mcp-server", "s3cret:with/odd+chars")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class AuthorizationServer:
    """An introspection endpoint: answers from `answers`, records every request."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.requests: list[dict[str, str]] = []
        self.status = 200
        self.url = ""
        self.app = Starlette(routes=[Route("/introspect", self._introspect, methods=["POST"])])

    async def _introspect(self, request: Request) -> Response:
        form = {
            name: values[0] for name, values in parse_qs((await request.body()).decode()).items()
        }
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form["basic"] = f"{client_id}:{secret}"
        self.requests.append(form)
        sent = (form.get("client_id"), form.get("client_secret"))
        if form.get("basic") != ":".join(CLIENT) and sent != CLIENT:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if self.status != 200:
            return Response("down", status_code=self.status)
        return JSONResponse(self.answers.get(form["token"], {"active": False}))

    def active(self, token: str, **members: Any) -> None:
        self.answers[token] = {
            "active": True,
            "scope": "mcp:read",
            "client_id": "client-1",
            "sub": "alice",
            "aud": RESOURCE,
            "iss": ISSUER,
            "exp": int(time.time()) + 600,
            **members,
        }


Protect = Callable[..., tuple[Wire, Recorder]]


@pytest.fixture(scope="module")
def host() -> Iterator[tuple[Deferred, int]]:
    with hosted() as deferred_and_port:
        yield deferred_and_port


@pytest.fixture
def server(host: tuple[Deferred, int]) -> AuthorizationServer:
    deferred, port = host
    authorization = AuthorizationServer()
    deferred.app = authorization.app
    authorization.url = f"http://127.0.0.1:{port}/introspect"
    return authorization


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def protect(server: AuthorizationServer, clock: Clock) -> AsyncIterator[Protect]:
    opened: list[Wire] = []

    def make(**options: Any) -> tuple[Wire, Recorder]:
        recorder = Recorder()
        settings: dict[str, Any] = {
            "endpoint": server.url,
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
            "audience": RESOURCE,
            "issuer": ISSUER,
            "clock": clock,
            **options,
        }
        app = protected_app(
            recorder.server(),
            verifier=IntrospectionVerifier(**settings),
            resource=RESOURCE,
            authorization_servers=[ISSUER],
        )
        opened.append(wire_for(app))
        return opened[-1], recorder

    yield make
    for wire in opened:
        await wire.client.aclose()


async def call(wire: Wire, token: str) -> httpx.Response:
    params = {"name": "read_tool", "arguments": {}}
    return await wire.legacy("tools/call", params, authorization=f"Bearer {token}")


def assert_refused(response: httpx.Response, recorder: Recorder) -> None:
    assert response.status_code == 401, response.text
    assert challenge(response)["error"] == "invalid_token"
    assert challenge(response)["resource_metadata"] == METADATA_URL
    assert recorder.calls == []


async def test_an_active_token_reaches_the_tool_with_its_scopes(
    protect: Protect, server: AuthorizationServer
) -> None:
    server.active("opaque-1", scope="mcp:read admin")
    wire, recorder = protect()
    listed = await wire.legacy("tools/list", authorization="Bearer opaque-1")
    names = [tool["name"] for tool in listed.json()["result"]["tools"]]
    assert names == ["public_tool", "read_tool", "admin_tool"]
    assert (await call(wire, "opaque-1")).status_code == 200
    assert recorder.calls == ["read_tool"]
    assert server.requests[0] == {
        "token": "opaque-1",
        "token_type_hint": "access_token",
        "basic": ":".join(CLIENT),
    }


async def test_credentials_can_be_sent_in_the_form(
    protect: Protect, server: AuthorizationServer
) -> None:
    server.active("opaque-1")
    wire, _ = protect(auth_method="client_secret_post")
    assert (await call(wire, "opaque-1")).status_code == 200
    assert server.requests[0]["client_id"] == CLIENT[0]
    assert server.requests[0]["client_secret"] == CLIENT[1]
    assert "basic" not in server.requests[0]


REFUSED: dict[str, dict[str, Any]] = {
    "inactive": {"active": False},
    "expired": {"exp": int(time.time()) - 1},
    "not-yet-valid": {"nbf": int(time.time()) + 3600},
    "wrong-audience": {"aud": "https://other.example.com/mcp"},
    "audience-list-without-this-server": {"aud": ["https://other.example.com"]},
    "no-audience": {"aud": None},
    "wrong-issuer": {"iss": "https://evil.example.com"},
    "malformed-scope": {"scope": 7},
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_token_the_server_does_not_vouch_for_is_refused(
    protect: Protect, server: AuthorizationServer, case: str
) -> None:
    server.active("opaque-1", **REFUSED[case])
    wire, recorder = protect()
    assert_refused(await call(wire, "opaque-1"), recorder)


async def test_an_unknown_token_is_refused(protect: Protect) -> None:
    wire, recorder = protect()
    assert_refused(await call(wire, "never-issued"), recorder)


async def test_without_an_expected_audience_a_token_without_aud_is_accepted(
    protect: Protect, server: AuthorizationServer
) -> None:
    server.active("opaque-1", aud=None)
    wire, recorder = protect(audience=None)
    assert (await call(wire, "opaque-1")).status_code == 200
    assert recorder.calls == ["read_tool"]


async def test_an_active_token_is_introspected_once_while_cached(
    protect: Protect, server: AuthorizationServer, clock: Clock
) -> None:
    server.active("opaque-1")
    wire, recorder = protect(cache_ttl=60)
    for _ in range(3):
        assert (await call(wire, "opaque-1")).status_code == 200
        clock.now += 10
    assert len(server.requests) == 1
    clock.now += 31
    assert (await call(wire, "opaque-1")).status_code == 200
    assert len(server.requests) == 2
    assert recorder.calls == ["read_tool"] * 4


async def test_a_token_without_expiry_is_cached_for_the_ttl(
    protect: Protect, server: AuthorizationServer, clock: Clock
) -> None:
    server.active("opaque-1", exp=None)
    wire, _ = protect(cache_ttl=30)
    for step in (0, 29, 2):
        clock.now += step
        assert (await call(wire, "opaque-1")).status_code == 200
    assert len(server.requests) == 2


async def test_a_revoked_token_is_refused_once_its_cache_entry_expires(
    protect: Protect, server: AuthorizationServer, clock: Clock
) -> None:
    server.active("opaque-1")
    wire, recorder = protect(cache_ttl=30)
    assert (await call(wire, "opaque-1")).status_code == 200
    server.answers["opaque-1"] = {"active": False}
    clock.now += 31
    recorder.calls.clear()
    assert_refused(await call(wire, "opaque-1"), recorder)


async def test_a_token_is_never_cached_beyond_its_expiry(
    protect: Protect, server: AuthorizationServer, clock: Clock
) -> None:
    server.active("opaque-1", exp=int(clock.now) + 10)
    wire, recorder = protect(cache_ttl=600)
    assert (await call(wire, "opaque-1")).status_code == 200
    clock.now += 11
    recorder.calls.clear()
    assert_refused(await call(wire, "opaque-1"), recorder)
    assert len(server.requests) == 2


async def test_the_cache_holds_at_most_cache_size_tokens(
    protect: Protect, server: AuthorizationServer
) -> None:
    server.active("opaque-1")
    server.active("opaque-2")
    wire, _ = protect(cache_size=1)
    for token in ("opaque-1", "opaque-2", "opaque-1", "opaque-1"):
        assert (await call(wire, token)).status_code == 200
    assert [request["token"] for request in server.requests] == ["opaque-1", "opaque-2", "opaque-1"]


@pytest.mark.parametrize("options", [{"cache_size": 0}, {"cache_ttl": 0}])
async def test_without_a_cache_every_request_is_introspected(
    protect: Protect, server: AuthorizationServer, options: dict[str, Any]
) -> None:
    server.active("opaque-1")
    wire, _ = protect(**options)
    for _ in range(2):
        assert (await call(wire, "opaque-1")).status_code == 200
    assert len(server.requests) == 2


async def test_inactive_answers_are_not_cached(
    protect: Protect, server: AuthorizationServer
) -> None:
    wire, recorder = protect()
    assert_refused(await call(wire, "opaque-1"), recorder)
    server.active("opaque-1")
    assert (await call(wire, "opaque-1")).status_code == 200


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        pytest.param(None, 500, id="server-error"),
        pytest.param({"scope": "mcp:read"}, 200, id="no-active-member"),
        pytest.param(["active"], 200, id="not-an-object"),
    ],
)
async def test_an_unusable_introspection_answers_503(
    protect: Protect, server: AuthorizationServer, answer: Any, status: int
) -> None:
    server.answers["opaque-1"] = answer
    server.status = status
    wire, recorder = protect()
    response = await call(wire, "opaque-1")
    assert response.status_code == 503
    assert recorder.calls == []


async def test_wrong_client_credentials_answer_503(protect: Protect) -> None:
    wire, recorder = protect(client_secret="wrong")
    assert (await call(wire, "opaque-1")).status_code == 503
    assert recorder.calls == []


async def test_an_unreachable_endpoint_answers_503(protect: Protect) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/introspect"
    wire, recorder = protect(endpoint=closed)
    assert (await call(wire, "opaque-1")).status_code == 503
    assert recorder.calls == []


async def test_a_shared_http_client_is_used_when_given(
    server: AuthorizationServer, clock: Clock
) -> None:
    server.active("opaque-1", scope="a b")
    async with httpx.AsyncClient() as client:
        verifier = IntrospectionVerifier(
            endpoint=server.url,
            client_id=CLIENT[0],
            client_secret=CLIENT[1],
            audience=RESOURCE,
            http_client=client,
        )
        access = await verifier.verify("opaque-1")
        with pytest.raises(InvalidTokenError):
            await verifier.verify("opaque-2")
    assert access.scopes == {"a", "b"}
    assert (access.subject, access.client_id, access.issuer) == ("alice", "client-1", ISSUER)
    assert access.claims["aud"] == RESOURCE


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"endpoint": "http://auth.example.com/introspect"}, "https"),
        ({"cache_ttl": -1}, "negative"),
        ({"cache_size": -1}, "negative"),
    ],
)
def test_a_misconfigured_introspection_verifier_is_refused(
    options: dict[str, Any], message: str
) -> None:
    settings: dict[str, Any] = {
        "endpoint": "https://auth.example.com/introspect",
        "client_id": "a",
        "client_secret": "b",
        "audience": RESOURCE,
        **options,
    }
    with pytest.raises(ValueError, match=message):
        IntrospectionVerifier(**settings)
