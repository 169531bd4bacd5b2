"""The example server's protected mode answers as an OAuth 2.1 resource server."""

from __future__ import annotations

import httpx
import pytest

from examples.vulns_protected import protected

pytestmark = pytest.mark.anyio


async def test_protected_example_challenges_without_a_token_and_serves_its_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MCP_ISSUER", "https://auth.example.com")
    monkeypatch.setenv("MCP_JWKS_URL", "https://auth.example.com/jwks.json")
    monkeypatch.setenv("MCP_RESOURCE", "http://127.0.0.1/mcp")
    transport = httpx.ASGITransport(app=protected())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        refused = await client.post("/mcp", json=body)
        metadata = await client.get("/.well-known/oauth-protected-resource/mcp")
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"' in (
        challenge
    )
    assert metadata.status_code == 200
    assert metadata.json()["resource"] == "http://127.0.0.1/mcp"
    assert metadata.json()["authorization_servers"] == ["https://auth.example.com"]
    assert "mcp:read" in metadata.json()["scopes_supported"]
