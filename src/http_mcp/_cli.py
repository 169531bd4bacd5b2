"""The `http-mcp` command: serve any MCPServer over HTTP (one or many workers) or STDIO."""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import socket
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any, Final

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from http_mcp._http import HTTPApp
from http_mcp._lifespan import LifespanError, lifespan_state
from http_mcp.server import MCPServer
from http_mcp.stores import store_from_url

ENV_TARGET: Final = "HTTP_MCP_TARGET"
ENV_PATH: Final = "HTTP_MCP_PATH"
ENV_STORE: Final = "HTTP_MCP_STORE"
FACTORY: Final = "http_mcp._cli:app_from_environment"
USAGE_ERROR: Final = 2
INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report a Ctrl+C


class TargetError(Exception):
    """The `module:attribute` given on the command line cannot be served."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        target = load_target(args.target)
        use_store(target, args.store)
        if args.stdio:
            return _run_stdio(target, args.scope)
        return _run_http(target, args)
    except TargetError as exc:
        print(f"http-mcp: {exc}", file=sys.stderr)  # noqa: T201
        return USAGE_ERROR
    except KeyboardInterrupt:
        return INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="http-mcp", description="Serve an http-mcp server.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="serve MODULE:ATTRIBUTE (an MCPServer, or an ASGI app that mounts one)",
        description="Serve MODULE:ATTRIBUTE over Streamable HTTP, or over STDIO with --stdio.",
    )
    run.add_argument("target", metavar="MODULE:ATTRIBUTE", help="e.g. examples.vulns:server")
    run.add_argument("--stdio", action="store_true", help="serve on stdin/stdout instead of HTTP")
    run.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="grant SCOPE to the STDIO client (repeatable); without it scoped tools stay hidden",
    )
    run.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    run.add_argument(
        "--path", default="/mcp", help="endpoint path when serving an MCPServer (default /mcp)"
    )
    run.add_argument(
        "--workers", type=_positive, default=1, help="number of worker processes (default 1)"
    )
    run.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (default info)",
    )
    run.add_argument("--reload", action="store_true", help="restart when the code changes")
    run.add_argument(
        "--store",
        metavar="URL",
        help=f"where shared state lives: memory:// or redis://HOST:PORT/DB (default: ${ENV_STORE}"
        ", else what the server sets, else memory://)",
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def load_target(target: str) -> MCPServer | ASGIApp:
    """Import `module:attribute` and check that it is something http-mcp can serve."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"{target!r} is not MODULE:ATTRIBUTE, e.g. examples.vulns:server")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and f"{module_name}.".startswith(f"{exc.name}."):
            raise TargetError(f"cannot import module {module_name!r}: no such module") from None
        raise TargetError(_import_failure(module_name)) from None
    except Exception:
        raise TargetError(_import_failure(module_name)) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise TargetError(f"module {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    if isinstance(value, MCPServer) or (callable(value) and not isinstance(value, type)):
        return value
    raise TargetError(
        f"{target!r} is a {type(value).__name__}, not an MCPServer or an ASGI application"
    )


def _import_failure(module_name: str) -> str:
    traceback.print_exc(file=sys.stderr)
    return f"importing module {module_name!r} failed (traceback above)"


def as_asgi(target: MCPServer | ASGIApp, path: str) -> ASGIApp:
    if isinstance(target, MCPServer):
        route = Route(path, target.app, methods=["POST", "GET", "DELETE"])
        return Starlette(routes=[route], lifespan=target.lifespan)
    return target


def app_from_environment() -> ASGIApp:
    """uvicorn factory for worker processes and reloads: the target named in the environment."""
    target = load_target(os.environ[ENV_TARGET])
    use_store(target, None)
    return as_asgi(target, os.environ.get(ENV_PATH, "/mcp"))


def use_store(target: MCPServer | ASGIApp, option: str | None) -> None:
    """Give the served MCPServer the store `--store` (else `$HTTP_MCP_STORE`) names, if any."""
    url = option or os.environ.get(ENV_STORE)
    server = target if isinstance(target, MCPServer) else find_server(target)
    if not url or server is None:
        return
    try:
        server.store = store_from_url(url)
    except (ValueError, ImportError) as exc:
        raise TargetError(f"{'--store' if option else ENV_STORE}: {exc}") from None


def _run_http(target: MCPServer | ASGIApp, args: argparse.Namespace) -> int:
    _check_port_free(args.host, args.port)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": args.log_level == "debug",
    }
    if args.workers > 1:
        _check_shared_store(target)
    if args.workers > 1 or args.reload:
        os.environ[ENV_TARGET] = args.target
        os.environ[ENV_PATH] = args.path
        if args.store:
            os.environ[ENV_STORE] = args.store
        uvicorn.run(FACTORY, factory=True, workers=args.workers, reload=args.reload, **options)
    else:
        uvicorn.run(as_asgi(target, args.path), **options)
    return 0


def _check_shared_store(target: MCPServer | ASGIApp) -> None:
    server = target if isinstance(target, MCPServer) else find_server(target)
    if server is not None and server.needs_shared_store and not server.store.shared:
        raise TargetError(
            "--workers needs a store all workers share, since this server keeps state between "
            f"requests: add --store redis://HOST:6379/0 (or set {ENV_STORE})"
        )


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise TargetError(
                    f"port {port} on {host} is already in use; choose another with --port"
                ) from None
            raise TargetError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _run_stdio(target: MCPServer | ASGIApp, scopes: list[str]) -> int:
    if isinstance(target, MCPServer):
        target.run_stdio(scopes=scopes)
        return 0
    server = find_server(target)
    if server is None:
        raise TargetError("the application mounts no MCPServer endpoint to serve over STDIO")

    async def serve() -> None:
        async with lifespan_state(target) as state:
            await server.serve_stdio(scopes=scopes, state=state)

    try:
        anyio.run(serve)
    except LifespanError as exc:
        raise TargetError(f"the application's lifespan failed to start: {exc}") from None
    return 0


def find_server(app: Any) -> MCPServer | None:
    """The first MCPServer mounted in a Starlette or FastAPI app."""
    for route in _routes(app):
        endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
        if isinstance(endpoint, HTTPApp) and isinstance(endpoint.server, MCPServer):
            return endpoint.server
    return None


def _routes(app: Any) -> Iterator[BaseRoute]:
    for route in getattr(app, "routes", ()):
        yield route
        if isinstance(route, Mount):
            yield from _routes(route.app)
