"""RFC 9728 protected resource metadata, served outside the authentication requirement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

_CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": "mcp-protocol-version",
}


def metadata_document(
    *,
    resource: str,
    authorization_servers: Sequence[str],
    scopes_supported: Sequence[str],
    resource_name: str | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "resource": resource,
        "authorization_servers": list(authorization_servers),
    }
    if scopes_supported:
        document["scopes_supported"] = list(scopes_supported)
    document["bearer_methods_supported"] = ["header"]
    if resource_name is not None:
        document["resource_name"] = resource_name
    return document


class MetadataEndpoint:
    """Answers GET with the metadata document; browsers may read it from any origin."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._body = to_json(document)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            response = Response(status_code=204, headers=_CORS)
        else:
            headers = {**_CORS, "cache-control": "public, max-age=3600"}
            response = Response(self._body, headers=headers, media_type="application/json")
        await response(scope, receive, send)
