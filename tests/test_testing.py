"""`http_mcp.testing`: the in-process client drives the real app at both protocol eras."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from pydantic import UUID4, BaseModel, Field
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    SimpleUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.auth import JWTVerifier, protected_app
from http_mcp.exceptions import ToolError
from http_mcp.testing import (
    AsyncTestClient,
    LifespanError,
    LogMessage,
    MCPError,
    Progress,
    ResponseError,
)
from http_mcp.types import (
    Arguments,
    Elicitation,
    InputRequired,
    NoArguments,
    Prompt,
    PromptMessage,
    Resource,
    ResourceTemplate,
    TextContent,
    TextResourceContents,
    Tool,
    ToolAnnotations,
)
from tests.auth_support import ISSUER, RESOURCE, Recorder, jwks, mint, rsa_key

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
PROTOCOLS = pytest.mark.parametrize("protocol", [MODERN, "2025-11-25", "2025-06-18", "2025-03-26"])
ADVISORY = "3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"
KEY = "a shared secret of more than sixteen bytes"


class Database:
    def __init__(self) -> None:
        self.rows = {ADVISORY: "2.32.3"}
        self.closed = False


class FixInput(BaseModel):
    vulnerability_id: UUID4 = Field(description="Vulnerability uuid4 id")


class FixOutput(BaseModel):
    version: str


def get_fix(arguments: Arguments[FixInput]) -> FixOutput:
    """The version that fixes a vulnerability, from the lifespan's database."""
    database = arguments.get_state_key("db", Database)
    return FixOutput(version=database.rows[str(arguments.inputs.vulnerability_id)])


def fix_or_error(arguments: Arguments[FixInput]) -> FixOutput:
    """The same, with errors as a declared output variant."""
    return FixOutput(version="1.0")


async def scan(arguments: Arguments[NoArguments]) -> str:
    """Reports progress and logs as it goes."""
    for step in (1, 2):
        await arguments.report_progress(step, 2, f"step {step}")
        await arguments.log("info", {"step": step}, logger="scan")
    await arguments.log("debug", "detail")
    return "scanned"


def refuse() -> str:
    """Always fails, in words for the model."""
    raise ToolError("the scanner is offline")


class Confirm(BaseModel):
    ok: bool


def confirm(arguments: Arguments[NoArguments]) -> str | InputRequired:
    """Asks the user before it acts."""
    answer = arguments.elicitation("confirm")
    if answer is None or answer.content is None:
        return InputRequired({"confirm": Elicitation("Sure?", Confirm)}, state={"ticket": 7})
    return f"ticket {arguments.request_state['ticket']} ok={answer.content['ok']}"


class Routed(BaseModel):
    region: str = Field(json_schema_extra={"x-mcp-header": "Region"})
    zone: int | None = Field(default=None, json_schema_extra={"x-mcp-header": "Zone"})
    dry_run: bool = Field(default=False, json_schema_extra={"x-mcp-header": "Dry-Run"})
    tags: list[str] = Field(default_factory=list, json_schema_extra={"x-mcp-header": "Tags"})


def route(arguments: Arguments[Routed]) -> str:
    """Routed by headers mirrored from its arguments."""
    inputs = arguments.inputs
    return f"routed to {inputs.region} {inputs.zone} {inputs.dry_run} {inputs.tags}"


def whoami(arguments: Arguments[NoArguments]) -> str:
    """Who the request says the caller is."""
    return f"{arguments.request.user.display_name}: {sorted(arguments.request.auth.scopes)}"


class Triage(BaseModel):
    package: str


def triage(arguments: Arguments[Triage]) -> list[PromptMessage]:
    """Ask the model to triage a package."""
    text = f"Triage {arguments.inputs.package}."
    return [PromptMessage(role="user", content=TextContent(text=text))]


class AdvisoryParams(BaseModel):
    advisory_id: str


def advisory(arguments: Arguments[AdvisoryParams]) -> str:
    return f"advisory {arguments.inputs.advisory_id}"


def suggest(value: str, context: Mapping[str, str]) -> list[str]:
    return [p for p in ("requests", "rich", "django") if p.startswith(value)]


def make_server(page_size: int | None = 100) -> MCPServer:
    return MCPServer(
        name="vulns",
        version="2.0",
        instructions="Look up fixes.",
        page_size=page_size,
        request_state_key=KEY,
        tools=(
            Tool(func=get_fix, inputs=FixInput, output=FixOutput, scopes=("mcp:read",)),
            Tool(func=fix_or_error, inputs=FixInput, output=FixOutput, return_error_message=True),
            Tool(func=scan),
            Tool(func=refuse),
            Tool(func=confirm),
            Tool(func=route, inputs=Routed),
            Tool(
                func=whoami,
                title="Who am I",
                annotations=ToolAnnotations(read_only_hint=True),
            ),
        ),
        prompts=(Prompt(func=triage, arguments_type=Triage, completions={"package": suggest}),),
        resources=(
            Resource(uri="reports://latest", func=lambda: "all clear", name="latest"),
            ResourceTemplate(
                uri_template="vulns://advisory/{advisory_id}", func=advisory, params=AdvisoryParams
            ),
        ),
    )


SERVER = make_server()
EVENTS: list[str] = []


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    database = Database()
    EVENTS.append("startup")
    yield {"db": database}
    EVENTS.append("shutdown")


class BearerScopes(AuthenticationBackend):
    """The app's own authentication: `Bearer <scope>+<scope>` tokens; `bad` is refused."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        token = header.removeprefix("Bearer ")
        if token == "bad":
            raise AuthenticationError("invalid token")
        return AuthCredentials(token.split("+")), SimpleUser("bearer")


def unauthorized(conn: HTTPConnection, exc: Exception) -> PlainTextResponse:
    return PlainTextResponse(str(exc), status_code=401)


def app_with_auth() -> Starlette:
    return Starlette(
        routes=[Route("/api/mcp", SERVER.app, methods=["POST"])],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=BearerScopes(), on_error=unauthorized)
        ],
        lifespan=lifespan,
    )


# -- both eras ---------------------------------------------------------------------------------


@PROTOCOLS
async def test_a_client_speaks_each_revision_and_reads_typed_results(protocol: str) -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol=protocol, state={"db": Database()}) as client:
            assert client.server.name == "vulns"
            assert client.server.version == "2.0"
            assert client.server.protocol_version == protocol
            assert client.server.instructions == "Look up fixes."
            assert "tools" in client.server.capabilities
            result = await client.call_tool("fix_or_error", {"vulnerability_id": ADVISORY})
    assert result.is_error is False
    assert result.structured_content == {"version": "1.0"}
    assert result.text == '{"version":"1.0"}'
    assert result.input_required is False
    assert (result.raw.get("resultType") == "complete") is (protocol == MODERN)


async def test_a_handshake_client_is_told_the_revision_the_server_chose() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol="2024-11-05") as client:
            assert client.server.protocol_version == "2025-11-25"
            assert client.protocol == "2025-11-25"
            assert [p.name for p in await client.list_prompts()] == ["triage"]


async def test_an_unsupported_revision_is_an_mcp_error_with_the_supported_list() -> None:
    with anyio.fail_after(10), pytest.raises(MCPError) as caught:
        async with AsyncTestClient(SERVER, protocol="2099-01-01"):
            pass  # pragma: no cover - entering fails
    assert caught.value.code == -32022
    assert caught.value.status_code == 400
    assert MODERN in caught.value.data["supported"]


# -- scopes and identity -----------------------------------------------------------------------


@PROTOCOLS
async def test_scopes_decide_what_the_caller_sees_and_may_call(protocol: str) -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol=protocol, scopes=[]) as client:
            names = [tool.name for tool in await client.list_tools()]
            with pytest.raises(MCPError) as caught:
                await client.call_tool("get_fix", {"vulnerability_id": ADVISORY})
        async with AsyncTestClient(SERVER, protocol=protocol, scopes=["mcp:read"]) as client:
            scoped = [tool.name for tool in await client.list_tools()]
    assert "get_fix" not in names
    assert "get_fix" in scoped
    assert caught.value.code == -32602
    assert caught.value.message == "Unknown tool: 'get_fix'"


async def test_scopes_reach_the_request_as_auth_and_user() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, scopes=["b", "a"]) as client:
            result = await client.call_tool("whoami")
    assert result.text == "test-client: ['a', 'b']"


async def test_an_app_with_its_own_auth_is_given_the_callers_headers() -> None:
    app = app_with_auth()
    with anyio.fail_after(10):
        headers = {"Authorization": "Bearer mcp:read+extra"}
        async with AsyncTestClient(app, path="/api/mcp", headers=headers) as client:
            listed = await client.list_tools()
            whoami_result = await client.call_tool("whoami")
            fix = await client.call_tool("get_fix", {"vulnerability_id": ADVISORY})
    assert "get_fix" in [tool.name for tool in listed]
    assert whoami_result.text == "bearer: ['extra', 'mcp:read']"
    assert fix.structured_content == {"version": "2.32.3"}


async def test_a_refused_token_is_a_response_error_with_the_apps_answer() -> None:
    app = app_with_auth()
    with anyio.fail_after(10), pytest.raises(ResponseError) as caught:
        async with AsyncTestClient(app, path="/api/mcp", headers={"authorization": "Bearer bad"}):
            pass  # pragma: no cover - entering fails
    assert caught.value.status_code == 401
    assert caught.value.text == "invalid token"
    assert caught.value.headers["content-type"].startswith("text/plain")


async def test_a_fastapi_app_with_middleware_and_lifespan_is_driven_whole() -> None:
    api = FastAPI(
        lifespan=lifespan,
        middleware=[Middleware(AuthenticationMiddleware, backend=BearerScopes())],
    )
    api.router.routes.append(Route("/mcp", SERVER.app, methods=["POST"]))
    with anyio.fail_after(10):
        async with AsyncTestClient(api, headers={"authorization": "Bearer mcp:read"}) as client:
            result = await client.call_tool("get_fix", {"vulnerability_id": ADVISORY})
    assert result.structured_content == {"version": "2.32.3"}


# -- lifespan ----------------------------------------------------------------------------------


async def test_the_lifespan_starts_before_the_first_request_and_stops_on_exit() -> None:
    EVENTS.clear()
    app = Starlette(routes=[Route("/mcp", SERVER.app, methods=["POST"])], lifespan=lifespan)
    with anyio.fail_after(10):
        async with AsyncTestClient(app, scopes=["mcp:read"]) as client:
            assert EVENTS == ["startup"]
            result = await client.call_tool("get_fix", {"vulnerability_id": ADVISORY})
            assert EVENTS == ["startup"]
    assert EVENTS == ["startup", "shutdown"]
    assert result.structured_content == {"version": "2.32.3"}


async def test_a_failing_startup_is_raised_with_its_reason() -> None:
    @asynccontextmanager
    async def broken(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("database unreachable")
        yield  # pragma: no cover - never reached

    app = Starlette(routes=[Route("/mcp", SERVER.app)], lifespan=broken)
    with anyio.fail_after(10), pytest.raises(LifespanError, match="database unreachable"):
        async with AsyncTestClient(app):
            pass  # pragma: no cover - entering fails


# -- results and messages ----------------------------------------------------------------------


@PROTOCOLS
async def test_validation_messages_read_as_the_model_reads_them(protocol: str) -> None:
    message = "vulnerability_id: must be a valid UUID4, got 'abc123'"
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol=protocol, scopes=["mcp:read"]) as client:
            failed = await client.call_tool("get_fix", {"vulnerability_id": "abc123"})
            variant = await client.call_tool("fix_or_error", {"vulnerability_id": "abc123"})
            raised = await client.call_tool("refuse")
    assert failed.is_error is True
    assert failed.text == message
    assert failed.content == (TextContent(text=message),)
    assert variant.is_error is False
    assert variant.structured_content == {"error": message}
    assert raised.is_error is True
    assert raised.text == "the scanner is offline"


@PROTOCOLS
async def test_progress_and_log_messages_of_a_call_are_collected(protocol: str) -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol=protocol, log_level="info") as client:
            result = await client.call_tool("scan", progress_token="scan-1")
            quiet = await client.call_tool("scan")
    assert result.text == "scanned"
    assert result.notifications.progress == (
        Progress(1, 2, "step 1"),
        Progress(2, 2, "step 2"),
    )
    assert result.notifications.logs == (
        LogMessage("info", {"step": 1}, "scan"),
        LogMessage("info", {"step": 2}, "scan"),
    )
    assert {n["params"].get("progressToken") for n in result.notifications.raw} >= {"scan-1"}
    assert quiet.notifications.progress == ()


async def test_an_input_required_round_is_answered_and_retried_with_its_state() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER) as client:
            first = await client.call_tool("confirm")
            done = await client.call_tool(
                "confirm",
                input_responses={"confirm": {"action": "accept", "content": {"ok": True}}},
                request_state=first.request_state,
            )
    assert first.input_required is True
    assert first.input_requests is not None
    assert first.input_requests["confirm"]["params"]["message"] == "Sure?"
    assert first.content == ()
    assert done.input_required is False
    assert done.text == "ticket 7 ok=True"


async def test_without_the_capability_an_input_request_is_an_mcp_error() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, capabilities={}) as client:
            with pytest.raises(MCPError) as caught:
                await client.call_tool("confirm")
    assert caught.value.code == -32021
    assert caught.value.data == {"requiredCapabilities": {"elicitation": {}}}


async def test_arguments_marked_as_headers_and_unusual_names_are_sent_as_headers() -> None:
    # Tool names are ASCII ([A-Za-z0-9_.-]); a prompt name may need the Mcp-Name sentinel form.
    unusual = MCPServer(name="s", version="1", prompts=(Prompt(func=triage, name="triäge"),))
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, scopes=[]) as client:
            routed = await client.call_tool("route", {"region": "eu west ✓"})
            arguments = {"region": "=?eu", "zone": 3, "dry_run": True, "tags": ["x"]}
            every = await client.call_tool("route", arguments)
            named = await client.call_tool("whoami")
        async with AsyncTestClient(unusual) as client:
            prompt = await client.get_prompt("triäge", {"package": "ä"})
    assert routed.text == "routed to eu west ✓ None False []"
    assert every.text == "routed to =?eu 3 True ['x']"
    assert named.text == "test-client: []"
    assert prompt.messages[0].content.text == "Triage ä."  # type: ignore[union-attr]


@PROTOCOLS
async def test_prompts_resources_and_completions(protocol: str) -> None:
    with anyio.fail_after(10):
        server = make_server(page_size=1)
        async with AsyncTestClient(server, protocol=protocol, scopes=["mcp:read"]) as client:
            prompts = await client.list_prompts()
            prompt = await client.get_prompt("triage", {"package": "rich"})
            resources = await client.list_resources()
            templates = await client.list_resource_templates()
            latest = await client.read_resource("reports://latest")
            instance = await client.read_resource("vulns://advisory/A-1")
            completed = await client.complete("package", "r", prompt="triage", context={})
            none = await client.complete(
                "advisory_id", resource_template="vulns://advisory/{advisory_id}"
            )
            tools = await client.list_tools()
    assert [p.name for p in prompts] == ["triage"]
    assert prompts[0].arguments[0]["name"] == "package"
    assert prompt.messages == (
        PromptMessage(role="user", content=TextContent(text="Triage rich.")),
    )
    assert prompt.text == "Triage rich."
    assert [(r.name, r.uri) for r in resources] == [("latest", "reports://latest")]
    assert [t.uri_template for t in templates] == ["vulns://advisory/{advisory_id}"]
    assert latest.contents == (TextResourceContents(uri="reports://latest", text="all clear"),)
    assert instance.text == "advisory A-1"
    assert completed.values == ("requests", "rich")
    assert completed.total == 2
    assert completed.has_more is False
    assert none.values == ()
    assert len(tools) == 7  # seven pages of one
    assert tools[0].input_schema["properties"]["vulnerability_id"]["format"] == "uuid4"
    assert tools[0].output_schema is not None
    assert tools[0].title is None
    assert tools[-1].annotations == {"readOnlyHint": True}
    assert tools[-1].title == "Who am I"


@PROTOCOLS
async def test_protocol_errors_raise_with_code_message_and_data(protocol: str) -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol=protocol) as client:
            with pytest.raises(MCPError) as missing:
                await client.read_resource("reports://nothing")
            with pytest.raises(MCPError) as unknown:
                await client.request("no/such/method")
            with pytest.raises(MCPError) as bad_prompt:
                await client.get_prompt("triage", {})
    modern = protocol == MODERN
    assert missing.value.code == (-32602 if modern else -32002)
    assert missing.value.data == {"uri": "reports://nothing"}
    assert unknown.value.code == -32601
    assert unknown.value.status_code == (404 if modern else 200)
    assert bad_prompt.value.code == -32602


async def test_a_request_gets_the_raw_result_of_any_method() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER, protocol="2025-06-18") as client:
            assert await client.request("ping") == {}
        async with AsyncTestClient(SERVER) as client:
            discovered = await client.request("server/discover")
    assert MODERN in discovered["supportedVersions"]


async def test_complete_takes_exactly_one_reference() -> None:
    with anyio.fail_after(10):
        async with AsyncTestClient(SERVER) as client:
            with pytest.raises(ValueError, match="one of"):
                await client.complete("package")


async def test_a_bearer_token_reaches_an_oauth_protected_app_through_headers() -> None:
    key = rsa_key("k1")
    app = protected_app(
        Recorder().server(),
        verifier=JWTVerifier(issuer=ISSUER, audience=RESOURCE, jwks=jwks(key)),
        resource=RESOURCE,
        authorization_servers=[ISSUER],
        on_insufficient_scope="challenge",
    )
    headers = {"Authorization": f"Bearer {mint(key, scope='mcp:read')}"}
    with anyio.fail_after(10):
        async with AsyncTestClient(app, headers=headers) as client:
            names = [tool.name for tool in await client.list_tools()]
            read = await client.call_tool("read_tool")
            with pytest.raises(MCPError) as challenged:
                await client.call_tool("admin_tool")
        with pytest.raises(MCPError) as refused:
            async with AsyncTestClient(app):
                pass  # pragma: no cover - entering fails
    assert names == ["public_tool", "read_tool"]
    assert read.text == "read None"  # the token never reaches a tool
    assert challenged.value.code == -32600
    assert challenged.value.status_code == 403
    assert 'error="insufficient_scope"' in challenged.value.headers["www-authenticate"]
    assert refused.value.status_code == 401
    assert "resource_metadata=" in refused.value.headers["www-authenticate"]
