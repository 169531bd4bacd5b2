"""`protected_app` and `protected_routes`: an MCP server as an OAuth 2.1 resource server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan

from http_mcp._dispatch import METHODS
from http_mcp.auth._backend import BearerBackend, refusal_response
from http_mcp.auth._challenge import Challenger
from http_mcp.auth._gate import Gate, ScopedItems
from http_mcp.auth._metadata import MetadataEndpoint, metadata_document
from http_mcp.auth._token import TokenVerifier
from http_mcp.auth._urls import WELL_KNOWN, check_url, metadata_url, resource_path
from http_mcp.server import MCPServer

InsufficientScope = Literal["hide", "challenge"]


def protected_app(
    server: MCPServer,
    *,
    verifier: TokenVerifier,
    resource: str,
    authorization_servers: Sequence[str],
    path: str = "/mcp",
    required_scopes: Sequence[str] = (),
    on_insufficient_scope: InsufficientScope = "hide",
    scopes_supported: Sequence[str] | None = None,
    resource_name: str | None = None,
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    """A Starlette app serving `server` at `path` to callers with a valid access token.

    Every request to `path` needs an `Authorization: Bearer` token that `verifier` accepts;
    its scopes decide which tools and prompts the caller sees. The RFC 9728 metadata is
    served, without authentication, at `/.well-known/oauth-protected-resource` and at that
    path followed by the resource's path (`/.well-known/oauth-protected-resource/mcp`).

    Args:
        server: The MCP server to protect.
        verifier: Checks tokens: a `JWTVerifier`, an `IntrospectionVerifier` or your own.
        resource: This server's canonical URI as clients reach it, e.g.
            `"https://api.example.com/mcp"`; tokens must be issued for it.
        authorization_servers: The issuer URLs of the authorization servers clients may get
            tokens from.
        path: Where the MCP endpoint is served in this app.
        required_scopes: Scopes every request needs (else 403 `insufficient_scope`); they
            are also named in 401 challenges, so clients ask for them first.
        on_insufficient_scope: A caller without a tool's or prompt's scopes gets "hide":
            the answer to an unknown name, so nothing leaks; or "challenge": 403
            `insufficient_scope` naming the scopes, so the client can ask for them (step-up).
        scopes_supported: The metadata's `scopes_supported`; by default the required scopes
            and every scope a tool or prompt declares.
        resource_name: A display name for the metadata.
        lifespan: Your application's lifespan, as for `Starlette(lifespan=...)`.

    Example:
        ```python
        app = protected_app(
            server,
            verifier=JWTVerifier(
                issuer="https://auth.example.com",
                audience="https://api.example.com/mcp",
                jwks_url="https://auth.example.com/.well-known/jwks.json",
            ),
            resource="https://api.example.com/mcp",
            authorization_servers=["https://auth.example.com"],
        )
        ```

    Raises:
        ValueError: a URL that is not absolute https (http only on loopback), no
            authorization server, a path without a leading "/", or an unknown mode.
        TypeError: `server` is not an `MCPServer`, or a string where a list belongs.
    """
    routes = protected_routes(
        server,
        verifier=verifier,
        resource=resource,
        authorization_servers=authorization_servers,
        path=path,
        required_scopes=required_scopes,
        on_insufficient_scope=on_insufficient_scope,
        scopes_supported=scopes_supported,
        resource_name=resource_name,
    )
    return Starlette(routes=routes, lifespan=lifespan)


def protected_routes(
    server: MCPServer,
    *,
    verifier: TokenVerifier,
    resource: str,
    authorization_servers: Sequence[str],
    path: str = "/mcp",
    required_scopes: Sequence[str] = (),
    on_insufficient_scope: InsufficientScope = "hide",
    scopes_supported: Sequence[str] | None = None,
    resource_name: str | None = None,
) -> list[BaseRoute]:
    """The routes of `protected_app`, to add to an application of your own.

    Takes the same arguments as `protected_app` (except `lifespan`).

    Example:
        ```python
        api = FastAPI()
        api.router.routes.extend(
            protected_routes(
                server,
                verifier=verifier,
                resource="https://api.example.com/mcp",
                authorization_servers=["https://auth.example.com"],
            )
        )
        ```
    """
    _check(server, resource, authorization_servers, required_scopes, path, on_insufficient_scope)
    required = tuple(dict.fromkeys(required_scopes))
    items = _scoped_items(server)
    challenger = Challenger(resource_metadata=metadata_url(resource), scopes=required)
    gate = Gate(
        server.app,
        challenger=challenger,
        required_scopes=required,
        challenged_items=items if on_insufficient_scope == "challenge" else None,
        max_body=server.max_message_size,
    )
    endpoint = AuthenticationMiddleware(
        gate,
        backend=BearerBackend(verifier),
        on_error=lambda conn, exc: refusal_response(exc, challenger),
    )
    if scopes_supported is None:
        declared = {scope for names in items.values() for s in names.values() for scope in s}
        scopes_supported = [*required, *sorted(declared - set(required))]
    document = metadata_document(
        resource=resource,
        authorization_servers=authorization_servers,
        scopes_supported=scopes_supported,
        resource_name=resource_name,
    )
    return [*_metadata_routes(document, resource, path), Route(path, endpoint)]


def _metadata_routes(document: dict[str, Any], resource: str, path: str) -> list[BaseRoute]:
    """The RFC 9728 path for `resource`, the same for the mount path, and the root form."""
    endpoint = MetadataEndpoint(document)
    paths = dict.fromkeys([WELL_KNOWN + resource_path(resource), WELL_KNOWN + path, WELL_KNOWN])
    return [Route(url, endpoint, methods=["GET", "HEAD", "OPTIONS"]) for url in paths]


def _check(
    server: object,
    resource: str,
    authorization_servers: Sequence[str],
    required_scopes: Sequence[str],
    path: str,
    mode: str,
) -> None:
    if not isinstance(server, MCPServer):
        raise TypeError(f"protected_app needs an MCPServer, got {server!r}")
    for name, value in (
        ("authorization_servers", authorization_servers),
        ("required_scopes", required_scopes),
    ):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of strings, e.g. [{value!r}]")
    if not authorization_servers:
        raise ValueError("authorization_servers must name at least one authorization server")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    if mode not in ("hide", "challenge"):
        raise ValueError(f"on_insufficient_scope must be 'hide' or 'challenge', got {mode!r}")
    check_url(resource, "resource")
    for issuer in authorization_servers:
        check_url(issuer, "authorization_servers")


def _scoped_items(server: MCPServer) -> ScopedItems:
    """The scopes of every scoped item a method addresses by `name` (the param `Gate` reads)."""
    return {
        method: scopes
        for method, scopes in server.scoped_names().items()
        if METHODS[method].target == "name"
    }
