"""The protected app: challenges, metadata, server-wide scopes, hiding or step-up, no leaks."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route
from starlette.types import Message

import http_mcp.auth
from http_mcp import MCPServer
from http_mcp.auth import (
    AccessToken,
    BearerBackend,
    InvalidTokenError,
    JWTVerifier,
    TokenUser,
    VerifierUnavailableError,
    protected_app,
    protected_routes,
)
from http_mcp.types import Arguments, NoArguments, Tool
from tests.auth_support import (
    ISSUER,
    METADATA_URL,
    RESOURCE,
    Recorder,
    challenge,
    jwks,
    mint,
    rsa_key,
)
from tests.conftest import Wire, legacy_request, send, wire_for

pytestmark = pytest.mark.anyio

KEY = rsa_key("rs-1")
VERIFIER = JWTVerifier(issuer=ISSUER, audience=RESOURCE, jwks=jwks(KEY))
Protect = Callable[..., tuple[Wire, Recorder]]
ERAS = pytest.mark.parametrize("era", ["modern", "legacy"])


@pytest.fixture
async def protect() -> AsyncIterator[Protect]:
    """Factory: the recording server behind `protected_app(**options)`."""
    opened: list[Wire] = []

    def make(server_options: dict[str, Any] | None = None, **options: Any) -> tuple[Wire, Recorder]:
        recorder = Recorder()
        settings: dict[str, Any] = {
            "verifier": VERIFIER,
            "resource": RESOURCE,
            "authorization_servers": [ISSUER],
            **options,
        }
        server = recorder.server(**(server_options or {}))
        opened.append(wire_for(protected_app(server, **settings)))
        return opened[-1], recorder

    yield make
    for wire in opened:
        await wire.client.aclose()


def bearer(scope: str | None = "mcp:read") -> dict[str, str]:
    return {"authorization": f"Bearer {mint(KEY, scope=scope)}"}


def refused(response: httpx.Response, code: int = -32600, request_id: Any = None) -> None:
    """The body of a refusal: a JSON-RPC error with `code`, nothing else."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {"jsonrpc": "2.0", "id": request_id, "error": body["error"]}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)


def call_params(tool: str) -> dict[str, Any]:
    return {"name": tool, "arguments": {"query": "q"}}


# -- no token, a malformed one, one in the URL -----------------------------------------------


@ERAS
async def test_a_request_without_a_token_gets_401_naming_the_metadata_and_no_error(
    protect: Protect, era: str
) -> None:
    wire, recorder = protect()
    response = await send(wire, era, "tools/call", call_params("public_tool"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{METADATA_URL}"'
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": response.json()["error"]["message"]},
    }
    assert recorder.calls == []


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearertoken"])
async def test_another_scheme_counts_as_no_token(protect: Protect, header: str) -> None:
    wire, recorder = protect()
    response = await wire.legacy("tools/list", authorization=header)
    assert response.status_code == 401
    refused(response)
    assert challenge(response) == {"resource_metadata": METADATA_URL}
    assert recorder.calls == []


@pytest.mark.parametrize(
    "header", ["bearer", "Bearer ", "Bearer a b", "Bearer a,b", 'Bearer "quoted"', "Bearer a\tb"]
)
async def test_a_malformed_bearer_header_gets_400_invalid_request(
    protect: Protect, header: str
) -> None:
    wire, recorder = protect()
    response = await wire.legacy("tools/call", call_params("public_tool"), authorization=header)
    assert response.status_code == 400
    refused(response)
    assert challenge(response)["error"] == "invalid_request"
    assert challenge(response)["resource_metadata"] == METADATA_URL
    assert recorder.calls == []


async def test_two_authorization_headers_get_400(protect: Protect) -> None:
    wire, recorder = protect()
    token = mint(KEY)
    response = await wire.client.post(
        "http://127.0.0.1/mcp",
        json=legacy_request("tools/call", call_params("public_tool")),
        headers=[("authorization", f"Bearer {token}"), ("authorization", f"Bearer {token}")],
    )
    assert response.status_code == 400
    refused(response)
    assert challenge(response)["error"] == "invalid_request"
    assert recorder.calls == []


@pytest.mark.parametrize("with_header", [False, True])
async def test_a_token_in_the_query_string_is_refused(protect: Protect, with_header: bool) -> None:
    wire, recorder = protect()
    token = mint(KEY)
    headers = {"authorization": f"Bearer {token}"} if with_header else {}
    body = legacy_request("tools/call", call_params("public_tool"))
    response = await wire.post(body, headers, params={"access_token": token})
    assert response.status_code == 400
    refused(response)
    assert challenge(response)["error"] == "invalid_request"
    assert token not in response.text
    assert recorder.calls == []


# -- what a tool sees ---------------------------------------------------------------------------


async def test_the_authorization_header_never_reaches_a_tool(protect: Protect) -> None:
    wire, recorder = protect()
    response = await wire.legacy("tools/call", call_params("read_tool"), **bearer())
    assert response.json()["result"]["content"][0]["text"] == "read None"
    assert recorder.calls == ["read_tool"]


async def test_a_tool_sees_the_verified_token_as_request_user(protect: Protect) -> None:
    wire, _ = protect()
    response = await wire.legacy(
        "tools/call", call_params("admin_tool"), **bearer("mcp:read admin")
    )
    assert response.json()["result"]["content"][0]["text"] == "admin for alice"


# -- server-wide scopes ------------------------------------------------------------------------


@ERAS
async def test_a_token_without_the_required_scopes_gets_403_naming_them(
    protect: Protect, era: str
) -> None:
    wire, recorder = protect(required_scopes=["mcp:use", "mcp:read"])
    response = await send(wire, era, "tools/call", call_params("public_tool"), **bearer())
    assert response.status_code == 403
    assert challenge(response) == {
        "error": "insufficient_scope",
        "error_description": challenge(response)["error_description"],
        "scope": "mcp:use mcp:read",
        "resource_metadata": METADATA_URL,
    }
    assert response.json()["id"] == 1
    assert response.json()["error"]["data"] == {"error": "insufficient_scope"}
    assert recorder.calls == []


async def test_a_get_without_the_required_scopes_gets_403_too(protect: Protect) -> None:
    wire, _ = protect(required_scopes=["mcp:use"])
    response = await wire.client.get("http://127.0.0.1/mcp", headers=bearer())
    assert response.status_code == 403
    assert response.json()["id"] is None


async def test_the_401_challenge_names_the_required_scopes(protect: Protect) -> None:
    wire, _ = protect(required_scopes=["mcp:use"])
    missing = await wire.legacy("tools/list")
    assert challenge(missing) == {"scope": "mcp:use", "resource_metadata": METADATA_URL}
    expired = await wire.legacy("tools/list", authorization=f"Bearer {mint(KEY, exp=1)}")
    assert challenge(expired)["scope"] == "mcp:use"
    assert challenge(expired)["error"] == "invalid_token"


async def test_with_the_required_scopes_a_request_is_served(protect: Protect) -> None:
    wire, recorder = protect(required_scopes=["mcp:read"])
    response = await wire.legacy("tools/call", call_params("public_tool"), **bearer())
    assert response.status_code == 200
    assert recorder.calls == ["public_tool"]


# -- a tool's scopes: hide or challenge --------------------------------------------------------


@ERAS
async def test_by_default_a_tool_beyond_the_tokens_scopes_looks_unknown(
    protect: Protect, era: str
) -> None:
    wire, recorder = protect()
    hidden = await send(wire, era, "tools/call", call_params("admin_tool"), **bearer())
    unknown = await send(wire, era, "tools/call", call_params("no_such_tool"), **bearer())
    assert hidden.json()["error"]["code"] == -32602
    assert hidden.status_code == unknown.status_code
    assert hidden.content == unknown.content.replace(b"no_such_tool", b"admin_tool")
    assert "www-authenticate" not in hidden.headers
    assert recorder.calls == []


@ERAS
async def test_in_challenge_mode_a_tool_beyond_the_tokens_scopes_gets_403_naming_its_scopes(
    protect: Protect, era: str
) -> None:
    wire, recorder = protect(on_insufficient_scope="challenge")
    response = await send(wire, era, "tools/call", call_params("admin_tool"), **bearer())
    assert response.status_code == 403
    assert challenge(response)["error"] == "insufficient_scope"
    assert challenge(response)["scope"] == "admin mcp:read"
    assert challenge(response)["resource_metadata"] == METADATA_URL
    assert response.json()["id"] == 1
    assert response.json()["error"]["code"] == -32600
    assert recorder.calls == []


async def test_a_challenge_names_the_required_scopes_and_the_tools(protect: Protect) -> None:
    wire, _ = protect(on_insufficient_scope="challenge", required_scopes=["mcp:use"])
    response = await wire.legacy(
        "tools/call", call_params("admin_tool"), **bearer("mcp:use mcp:read")
    )
    assert response.status_code == 403
    assert challenge(response)["scope"] == "mcp:use admin mcp:read"


async def test_a_challenge_echoes_a_string_id(protect: Protect) -> None:
    wire, _ = protect(on_insufficient_scope="challenge")
    body = {**legacy_request("tools/call", call_params("admin_tool")), "id": "call-7"}
    response = await wire.post(body, bearer())
    assert response.status_code == 403
    assert response.json()["id"] == "call-7"


async def test_in_challenge_mode_a_prompt_beyond_the_tokens_scopes_gets_403(
    protect: Protect,
) -> None:
    wire, recorder = protect(on_insufficient_scope="challenge")
    response = await wire.legacy("prompts/get", {"name": "admin_prompt"}, **bearer())
    assert response.status_code == 403
    assert challenge(response)["scope"] == "admin"
    assert recorder.calls == []


async def test_in_challenge_mode_the_right_scopes_call_the_tool(protect: Protect) -> None:
    wire, recorder = protect(on_insufficient_scope="challenge")
    response = await wire.legacy(
        "tools/call", call_params("admin_tool"), **bearer("mcp:read admin")
    )
    assert response.status_code == 200
    assert recorder.calls == ["admin_tool"]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param(
            legacy_request("tools/call", call_params("nope")),
            200,
            {"id": 1, "error": -32602},
            id="unknown",
        ),
        pytest.param(
            legacy_request("tools/list"),
            200,
            {"id": 1, "tools": ["public_tool", "read_tool"]},
            id="list",
        ),
        pytest.param(b"{not json", 400, {"id": None, "error": -32700}, id="not-json"),
        pytest.param(
            legacy_request("tools/call", {"name": 7}),
            200,
            {"id": 1, "error": -32602},
            id="bad-name",
        ),
        pytest.param({"jsonrpc": "2.0", "method": "tools/call"}, 202, None, id="notification"),
    ],
)
async def test_in_challenge_mode_everything_else_is_answered_as_without_auth(
    protect: Protect, body: Any, status: int, expected: dict[str, Any] | None
) -> None:
    wire, recorder = protect(on_insufficient_scope="challenge")
    response = await wire.post(body, bearer())
    assert response.status_code == status
    if expected is None:
        assert response.content == b""
        return
    answer = response.json()
    assert answer["jsonrpc"] == "2.0"
    assert answer["id"] == expected["id"]
    if "error" in expected:
        assert answer["error"]["code"] == expected["error"]
        assert "result" not in answer
    else:
        assert [tool["name"] for tool in answer["result"]["tools"]] == expected["tools"]
    assert recorder.calls == []


async def test_in_challenge_mode_lists_still_hide_what_the_token_cannot_call(
    protect: Protect,
) -> None:
    wire, _ = protect(on_insufficient_scope="challenge")
    response = await wire.legacy("tools/list", None, **bearer())
    names = [tool["name"] for tool in response.json()["result"]["tools"]]
    assert names == ["public_tool", "read_tool"]


async def test_in_challenge_mode_a_body_too_large_is_still_413(protect: Protect) -> None:
    wire, recorder = protect(
        on_insufficient_scope="challenge", server_options={"max_message_size": 64}
    )
    body = legacy_request("tools/call", {"name": "admin_tool", "arguments": {"query": "x" * 100}})
    response = await wire.post(body, bearer())
    assert response.status_code == 413
    assert recorder.calls == []


async def test_a_client_leaving_mid_body_is_passed_on_and_reaches_no_tool() -> None:
    recorder = Recorder()
    app = protected_app(
        recorder.server(),
        verifier=VERIFIER,
        resource=RESOURCE,
        authorization_servers=[ISSUER],
        on_insufficient_scope="challenge",
    )
    incoming: list[Message] = [
        {"type": "http.request", "body": b'{"jsonrpc": "2.0", "id": 1, ', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {mint(KEY)}".encode()),
            (b"content-type", b"application/json"),
            (b"host", b"127.0.0.1"),
        ],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 40000),
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert sent[0]["status"] == 400  # the core's answer to an empty body
    assert recorder.calls == []


# -- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
)
async def test_the_metadata_is_served_without_a_token(protect: Protect, path: str) -> None:
    wire, _ = protect(resource_name="Recorder")
    response = await wire.client.get(f"http://127.0.0.1{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "resource": RESOURCE,
        "authorization_servers": [ISSUER],
        "scopes_supported": ["admin", "mcp:read"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Recorder",
    }


async def test_the_metadata_is_served_even_with_a_bad_token(protect: Protect) -> None:
    wire, _ = protect()
    response = await wire.client.get(
        METADATA_URL, headers={"authorization": "Bearer garbage"}, params={"access_token": "x"}
    )
    assert response.status_code == 200


async def test_the_metadata_answers_a_cors_preflight(protect: Protect) -> None:
    wire, _ = protect()
    response = await wire.client.options(METADATA_URL)
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "GET, OPTIONS"


@pytest.mark.parametrize(
    ("options", "supported"),
    [
        pytest.param({"required_scopes": ["mcp:read"]}, ["mcp:read", "admin"], id="required"),
        pytest.param({"required_scopes": ["mcp:use"]}, ["mcp:use", "admin", "mcp:read"], id="more"),
        pytest.param({"scopes_supported": ["mcp:read"]}, ["mcp:read"], id="given"),
        pytest.param({"scopes_supported": []}, None, id="none"),
    ],
)
async def test_scopes_supported_defaults_to_the_required_and_declared_scopes(
    protect: Protect, options: dict[str, Any], supported: list[str] | None
) -> None:
    wire, _ = protect(**options)
    document = (await wire.client.get(METADATA_URL)).json()
    assert document.get("scopes_supported") == supported


async def test_the_metadata_follows_the_resource_path_and_the_mount_path(
    protect: Protect,
) -> None:
    resource = "https://api.example.com/tenant/mcp"
    wire, _ = protect(resource=resource, path="/mcp")
    for path in ("/tenant/mcp", "/mcp", ""):
        response = await wire.client.get(
            f"http://127.0.0.1/.well-known/oauth-protected-resource{path}"
        )
        assert response.json()["resource"] == resource
    missing = await wire.legacy("tools/list")
    expected = "https://api.example.com/.well-known/oauth-protected-resource/tenant/mcp"
    assert challenge(missing)["resource_metadata"] == expected


# -- the verifier's failures -------------------------------------------------------------------


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def verify(self, token: str) -> AccessToken:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidTokenError('revoked "now"\r\nX-Injected: yes'), 401, -32600),
        (InvalidTokenError(), 401, -32600),
        (VerifierUnavailableError("down"), 503, -32603),
        (RuntimeError("bug"), 500, -32603),
    ],
)
async def test_a_verifier_failure_becomes_a_clean_refusal(
    protect: Protect, error: Exception, status: int, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    wire, recorder = protect(verifier=Failing(error))
    response = await wire.legacy("tools/list", authorization="Bearer sometoken")
    assert response.status_code == status
    refused(response, code)
    assert "x-injected" not in response.headers
    assert "Traceback" not in response.text
    if status == 401:
        assert challenge(response)["error"] == "invalid_token"
    assert recorder.calls == []
    assert ("the token verifier failed" in caplog.text) == (status == 500)


async def test_tokens_are_never_logged(protect: Protect, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wire, _ = protect(on_insufficient_scope="challenge", required_scopes=["mcp:read"])
    tokens = [mint(KEY), mint(KEY, exp=1), mint(KEY, scope="other"), mint(rsa_key("x"))]
    for token in tokens:
        await wire.legacy("tools/call", call_params("admin_tool"), authorization=f"Bearer {token}")
        await wire.post(legacy_request("tools/list"), params={"access_token": token})
    failing, _ = protect(verifier=Failing(RuntimeError("bug")))
    await failing.legacy("tools/list", authorization=f"Bearer {tokens[0]}")
    # Only the server's records: the test's own HTTP client logs the URLs it requests.
    records = [r for r in caplog.records if r.name.startswith(("http_mcp", "uvicorn", "starlette"))]
    logged = "\n".join(f"{record.getMessage()} {record.exc_text}" for record in records)
    assert "the token verifier failed" in logged
    for token in tokens:
        assert token not in logged
        assert token.split(".")[2] not in logged


# -- the backend and the routes on their own ---------------------------------------------------


async def test_the_backend_alone_drives_the_servers_scope_filtering() -> None:
    backend = BearerBackend(VERIFIER)
    recorder = Recorder()
    app = Starlette(
        routes=[Route("/mcp", recorder.server().app, methods=["POST"])],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)
        ],
    )
    wire = wire_for(app)
    async with wire.client:
        anonymous = await wire.legacy("tools/list")
        assert [t["name"] for t in anonymous.json()["result"]["tools"]] == ["public_tool"]
        reader = await wire.legacy("tools/list", None, **bearer())
        assert [t["name"] for t in reader.json()["result"]["tools"]] == [
            "public_tool",
            "read_tool",
        ]
        refused = await wire.legacy("tools/list", authorization="Bearer garbage")
        assert refused.status_code == 401
        assert challenge(refused) == {
            "error": "invalid_token",
            "error_description": challenge(refused)["error_description"],
        }
        in_url = await wire.post(legacy_request("tools/list"), params={"access_token": "x"})
        assert in_url.status_code == 400


async def test_the_backend_makes_the_user_a_token_user() -> None:
    token = mint(KEY, scope="mcp:read admin")
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/mcp",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    result = await BearerBackend(VERIFIER).authenticate(HTTPConnection(scope))
    assert result is not None
    credentials, user = result
    assert credentials.scopes == ["admin", "mcp:read"]
    assert isinstance(user, TokenUser)
    assert user.is_authenticated
    assert (user.display_name, user.identity) == ("alice", "alice")
    assert user.access_token.client_id == "client-1"


async def test_protected_routes_fit_into_a_fastapi_app() -> None:
    recorder = Recorder()
    api = FastAPI()
    api.router.routes.extend(
        protected_routes(
            recorder.server(),
            verifier=VERIFIER,
            resource=RESOURCE,
            authorization_servers=[ISSUER],
        )
    )
    wire = wire_for(api)
    async with wire.client:
        assert (await wire.legacy("tools/list")).status_code == 401
        served = await wire.legacy("tools/call", call_params("read_tool"), **bearer())
        assert served.status_code == 200
        assert (await wire.client.get(METADATA_URL)).status_code == 200
    assert recorder.calls == ["read_tool"]


async def test_the_applications_lifespan_state_reaches_the_tools(live: Any) -> None:
    def greeting(arguments: Arguments[NoArguments]) -> str:
        return arguments.get_state_key("greeting", str)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"greeting": "hello"}

    server = MCPServer(name="s", version="1", tools=(Tool(func=greeting),))
    app = protected_app(
        server,
        verifier=VERIFIER,
        resource=RESOURCE,
        authorization_servers=[ISSUER],
        lifespan=lifespan,
    )
    url = live(app).url
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            url,
            json=legacy_request("tools/call", {"name": "greeting"}),
            headers={**bearer(), "accept": "application/json"},
        )
    assert response.json()["result"]["content"] == [{"type": "text", "text": "hello"}]


# -- configuration mistakes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"resource": "http://api.example.com/mcp"}, ValueError, "https"),
        ({"resource": "api.example.com/mcp"}, ValueError, "https"),
        ({"resource": "https://api.example.com/mcp#x"}, ValueError, "fragment"),
        ({"authorization_servers": ISSUER}, TypeError, "list"),
        ({"authorization_servers": []}, ValueError, "at least one"),
        ({"authorization_servers": ["ftp://auth"]}, ValueError, "https"),
        ({"required_scopes": "mcp:read"}, TypeError, "list"),
        ({"path": "mcp"}, ValueError, "start with"),
        ({"on_insufficient_scope": "deny"}, ValueError, "hide"),
        ({"server": object()}, TypeError, "MCPServer"),
    ],
)
def test_a_misconfigured_protected_app_is_refused_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    settings: dict[str, Any] = {
        "server": Recorder().server(),
        "verifier": VERIFIER,
        "resource": RESOURCE,
        "authorization_servers": [ISSUER],
        **options,
    }
    with pytest.raises(error, match=message):
        protected_app(**settings)


# -- the public surface and the optional extra -------------------------------------------------


def test_auth_all_matches_the_public_names_of_the_module() -> None:
    public = {
        name
        for name, value in vars(http_mcp.auth).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("http_mcp")
    }
    assert sorted(http_mcp.auth.__all__) == sorted(public)


@pytest.mark.parametrize("missing", ["jwt", "httpx"])
def test_without_the_extra_the_core_imports_and_auth_names_the_extra(missing: str) -> None:
    script = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "import http_mcp, http_mcp.server, http_mcp.types\n"
        "try:\n"
        "    import http_mcp.auth\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install '.[oauth]'" in result.stdout


def test_the_core_does_not_import_the_oauth_libraries() -> None:
    script = (
        "import sys\n"
        "import http_mcp, http_mcp.server, http_mcp.types, http_mcp.exceptions\n"
        "print(sorted({'jwt', 'cryptography', 'http_mcp.auth'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
