"""The benchmarked libraries: what each one's virtual environment holds and what it supports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from benchmarks.cases import LEGACY

# The same web stack in every environment, so that the libraries are what differs.
COMMON: Final = (
    "pydantic==2.14.4",
    "starlette==1.10.0",
    "anyio==4.16.0",
    "uvloop==0.23.0",
    "httptools==0.9.0",
)
UVICORN: Final = "uvicorn[standard]==0.54.0"
REPORTED_PACKAGES: Final = (
    "http-mcp",
    "mcp",
    "fastmcp",
    "pydantic",
    "pydantic-core",
    "starlette",
    "anyio",
    "uvicorn",
    "uvloop",
    "httptools",
)


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    short: str
    requirements: tuple[str, ...]
    imports: str
    from_repo: bool = False
    unsupported: dict[str, str] = field(default_factory=dict)


PEERS: Final = (
    Peer(
        "floor",
        "floor (bare Starlette)",
        "floor",
        (UVICORN, *COMMON),
        # What the floor's server module imports (a Pydantic model needs pydantic.main).
        "from pydantic import BaseModel; import pydantic_core, starlette.applications, "
        "starlette.requests, starlette.responses, starlette.routing",
    ),
    Peer(
        "httpmcp",
        "http-mcp (this repo)",
        "this repo",
        (UVICORN, *COMMON),
        "import http_mcp, http_mcp.types",
        from_repo=True,
    ),
    Peer(
        "httpmcp018",
        "http-mcp 0.18 (PyPI)",
        "0.18",
        # 0.18 requires uvicorn<0.53.
        ("http-mcp==0.18.0", "uvicorn[standard]==0.52.4", *COMMON),
        "import http_mcp.server, http_mcp.types",
        unsupported={
            LEGACY: "0.18 speaks only 2026-07-28: the handshake revisions and `initialize` "
            "were removed in 0.17"
        },
    ),
    Peer(
        "sdk",
        "official SDK (mcp 2.3.0)",
        "SDK",
        ("mcp==2.3.0", UVICORN, *COMMON),
        "from mcp.server.mcpserver import MCPServer",
    ),
    Peer(
        "fastmcp",
        "FastMCP 4.2.3",
        "FastMCP",
        ("fastmcp==4.2.3", UVICORN, *COMMON),
        "from fastmcp import FastMCP",
    ),
)
PEER_KEYS: Final = tuple(p.key for p in PEERS)
