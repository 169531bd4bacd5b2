"""The vulnerability-metadata server from the http-mcp article.

Run it with `./scripts/demo` (or `uvicorn examples.vulns:app --port 8000`) and point an MCP
client at `http://127.0.0.1:8000/mcp`, or a browser at `http://127.0.0.1:8000/mcp/catalog`.
Callers that present the `mcp:read` scope (see `DemoScopes`) also see `get_fix_metadata`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import UUID4, BaseModel, Field
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route

from http_mcp import MCPServer
from http_mcp.exceptions import ToolError
from http_mcp.types import (
    Arguments,
    EmbeddedResource,
    NoArguments,
    Prompt,
    PromptMessage,
    TextContent,
    TextResourceContents,
    Tool,
    ToolAnnotations,
)


@dataclass(frozen=True)
class Advisory:
    package: str
    safe_version: str
    is_breaking_change: bool
    summary: str


class AdvisoryDatabase:
    """An in-memory stand-in for the platform's vulnerability store."""

    def __init__(self) -> None:
        self._advisories = {
            uuid.UUID("3f2b8c1e-9a4d-4e5f-8b6a-1c2d3e4f5a6b"): Advisory(
                "requests", "2.32.3", False, "Session verify=False persists across requests"
            ),
            uuid.UUID("7d9e0f1a-2b3c-4d5e-9f6a-7b8c9d0e1f2a"): Advisory(
                "django", "5.0.7", True, "SQL injection in JSONField key lookups"
            ),
        }

    def find(self, vulnerability_id: uuid.UUID) -> Advisory | None:
        return self._advisories.get(vulnerability_id)

    def ids(self) -> list[uuid.UUID]:
        return list(self._advisories)


class FixMetadataInput(BaseModel):
    vulnerability_id: UUID4 = Field(description="Vulnerability uuid4 id")


class FixMetadataOutput(BaseModel):
    version: str = Field(description="Safe version of the dependency")
    is_breaking_change: bool = Field(
        description="Whether upgrading to safe version is a breaking change"
    )


def get_fix_metadata(arguments: Arguments[FixMetadataInput]) -> FixMetadataOutput:
    """Get the version that fixes a vulnerability and whether upgrading to it breaks things."""
    database = arguments.get_state_key("database", AdvisoryDatabase)
    advisory = database.find(arguments.inputs.vulnerability_id)
    if advisory is None:
        raise ToolError(
            f"no vulnerability with id {arguments.inputs.vulnerability_id}; "
            "call list_vulnerabilities for the known ids"
        )
    return FixMetadataOutput(
        version=advisory.safe_version, is_breaking_change=advisory.is_breaking_change
    )


class VulnerabilityList(BaseModel):
    vulnerability_ids: list[uuid.UUID] = Field(description="Ids of the known vulnerabilities")


def list_vulnerabilities(arguments: Arguments[NoArguments]) -> VulnerabilityList:
    """List the ids of every known vulnerability."""
    database = arguments.get_state_key("database", AdvisoryDatabase)
    return VulnerabilityList(vulnerability_ids=database.ids())


class SeverityInput(BaseModel):
    cvss_score: float = Field(ge=0, le=10, description="CVSS v3 base score, 0 to 10")


class SeverityOutput(BaseModel):
    severity: str = Field(description="none, low, medium, high or critical")


async def classify_severity(arguments: Arguments[SeverityInput]) -> SeverityOutput:
    """Turn a CVSS v3 base score into its qualitative severity rating."""
    score = arguments.inputs.cvss_score
    bands = ((9.0, "critical"), (7.0, "high"), (4.0, "medium"), (0.1, "low"))
    return SeverityOutput(severity=next((name for low, name in bands if score >= low), "none"))


def server_status() -> str:
    """Say whether the server is up. Needs no input."""
    return "ok"


class TriageArguments(BaseModel):
    package: str = Field(description="Name of the affected package")
    severity: str = Field(default="high", description="How severe the finding is")


def triage_prompt(arguments: Arguments[TriageArguments]) -> list[PromptMessage]:
    """Ask the model to triage a vulnerable dependency."""
    inputs = arguments.inputs
    return [
        PromptMessage(
            role="user",
            content=TextContent(
                text=f"A {inputs.severity} severity vulnerability affects {inputs.package}. "
                "Use get_fix_metadata and propose an upgrade plan."
            ),
        )
    ]


def policy_prompt() -> list[PromptMessage]:
    """Share the team's upgrade policy with the model."""
    policy = TextResourceContents(
        uri="policy://upgrades",
        mime_type="text/markdown",
        text="# Upgrade policy\nBreaking upgrades need a migration note and a second reviewer.",
    )
    return [
        PromptMessage(role="user", content=EmbeddedResource(resource=policy)),
        PromptMessage(role="user", content=TextContent(text="Follow this policy in every plan.")),
    ]


server = MCPServer(
    name="vulns",
    version="1.0.0",
    instructions="Look up vulnerability fixes. List the known ids before asking for metadata.",
    tools=(
        Tool(
            func=get_fix_metadata,
            # inputs and output can be left out: they are read from the annotations.
            inputs=FixMetadataInput,
            output=FixMetadataOutput,
            return_error_message=True,
            scopes=("mcp:read",),
            annotations=ToolAnnotations(read_only_hint=True),
        ),
        Tool(func=list_vulnerabilities),
        Tool(func=classify_severity),
        Tool(func=server_status, title="Server status"),
    ),
    prompts=(
        Prompt(func=triage_prompt),
        Prompt(func=policy_prompt, name="upgrade_policy"),
    ),
)


class DemoScopes(AuthenticationBackend):
    """Grants the scopes named in an `X-Demo-Scopes` header. For trying scopes out only:
    a real server verifies a token instead."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any] | None:
        header = conn.headers.get("x-demo-scopes")
        if header is None:
            return None
        return AuthCredentials(header.split()), SimpleUser("demo")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    yield {"database": AdvisoryDatabase()}


app = Starlette(
    routes=[
        Route("/mcp", server.app, methods=["POST", "GET", "DELETE"]),
        Route("/mcp/catalog", server.catalog_app(endpoint="/mcp")),
    ],
    middleware=[Middleware(AuthenticationMiddleware, backend=DemoScopes())],
    lifespan=lifespan,
)
