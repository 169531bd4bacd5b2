"""The `http-mcp` command: serve any MCPServer over HTTP (one or many workers) or STDIO.

Every mistake on the command line is one line on stderr and exit status 2, before anything
starts: argparse's own errors included, which are shortened to one line.
"""

from __future__ import annotations

import argparse
import logging.config
import sys
from collections.abc import Sequence
from typing import Final, NoReturn

import anyio
from starlette.types import ASGIApp

from http_mcp import __version__
from http_mcp._lifespan import LifespanError, lifespan_state
from http_mcp._serve import check_tls, log_config, serve
from http_mcp._target import ENV_STORE, UsageError, find_server, load_target, use_store
from http_mcp.server import MCPServer

USAGE_ERROR: Final = 2
INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report a Ctrl+C
LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")
# Options that mean something only over HTTP; their parser default is None, so a value
# given with --stdio is noticed.
HTTP_ONLY: Final = (
    "host",
    "port",
    "uds",
    "path",
    "workers",
    "reload",
    "access_log",
    "root_path",
    "proxy_headers",
    "forwarded_allow_ips",
    "ssl_certfile",
    "ssl_keyfile",
    "timeout_graceful_shutdown",
)
HTTP_DEFAULTS: Final = {
    "host": "127.0.0.1",
    "port": 8000,
    "path": "/mcp",
    "workers": 1,
    "reload": False,
    "root_path": "",
    "proxy_headers": True,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.config.dictConfig(log_config(args.log_level))
    try:
        _check(args)
        target = load_target(args.target, factory=args.factory)
        use_store(target, args.store)
        if args.stdio:
            return _run_stdio(target, args.scope)
        return serve(target, args)
    except UsageError as exc:
        print(f"http-mcp: {exc}", file=sys.stderr)  # noqa: T201
        return USAGE_ERROR
    except KeyboardInterrupt:
        return INTERRUPTED


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="http-mcp", description="Serve an http-mcp server.")
    parser.add_argument("--version", action="version", version=f"http-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="serve MODULE:ATTRIBUTE (an MCPServer, or an ASGI app that mounts one)",
        description="Serve MODULE:ATTRIBUTE over Streamable HTTP, or over STDIO with --stdio.",
    )
    run.add_argument("target", metavar="MODULE:ATTRIBUTE", help="e.g. examples.vulns:server")
    run.add_argument(
        "--factory",
        action="store_true",
        help="MODULE:ATTRIBUTE is a function, called without arguments, that returns the "
        "server or the app",
    )
    run.add_argument(
        "--log-level",
        default="info",
        type=str.lower,
        choices=LOG_LEVELS,
        help="log level of the library, the server and your code (default info)",
    )
    run.add_argument(
        "--store",
        metavar="URL",
        help=f"where shared state lives: memory:// or redis://HOST:PORT/DB (default: ${ENV_STORE}"
        ", else what the server sets, else memory://)",
    )
    _add_stdio_options(run.add_argument_group("STDIO"))
    _add_http_options(run.add_argument_group("HTTP"))
    return parser


def _add_stdio_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--stdio", action="store_true", help="serve on stdin/stdout, not HTTP")
    group.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="grant SCOPE to the STDIO client (repeatable); without it scoped tools stay hidden",
    )


def _add_http_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    group.add_argument("--port", type=_port, help="port to bind, 0 for any free one (default 8000)")
    group.add_argument("--uds", metavar="PATH", help="bind this unix socket, not a host and port")
    group.add_argument("--path", type=_path, help="endpoint path of an MCPServer (default /mcp)")
    group.add_argument("--workers", type=_workers, help="worker processes (default 1)")
    group.add_argument("--reload", action="store_true", default=None, help="restart on changes")
    group.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        help="log every request (default: on with --log-level debug, off otherwise)",
    )
    group.add_argument(
        "--root-path",
        type=_path,
        help="the path prefix a proxy serves this under and strips (default none)",
    )
    group.add_argument(
        "--proxy-headers",
        action=argparse.BooleanOptionalAction,
        help="take the client address and scheme from X-Forwarded-For/-Proto sent by "
        "--forwarded-allow-ips (default on)",
    )
    group.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated addresses or networks trusted for forwarded headers, or '*' "
        "(default 127.0.0.1, or $FORWARDED_ALLOW_IPS)",
    )
    group.add_argument("--ssl-certfile", metavar="FILE", help="serve HTTPS with this certificate")
    group.add_argument("--ssl-keyfile", metavar="FILE", help="the certificate's private key")
    group.add_argument(
        "--timeout-graceful-shutdown",
        type=_seconds,
        metavar="SECONDS",
        help="on shutdown, cancel requests still running after this long (default: wait)",
    )


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}")
    return value


def _path(text: str) -> str:
    if not text.startswith("/") or (len(text) > 1 and text.endswith("/")):
        raise argparse.ArgumentTypeError(f"must start with / and not end with one, got {text!r}")
    return text


def _check(args: argparse.Namespace) -> None:
    """Refuse combinations argparse cannot see, then fill in the HTTP defaults."""
    if args.stdio:
        given = [name for name in HTTP_ONLY if getattr(args, name) is not None]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise UsageError(f"{option} is an HTTP option; it has no effect with --stdio")
        return
    if args.scope:
        raise UsageError(
            "--scope is for --stdio; over HTTP the caller's scopes come from authentication"
        )
    for name, value in HTTP_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.root_path == "/":
        args.root_path = ""
    if args.access_log is None:
        args.access_log = args.log_level == "debug"
    if args.reload and args.workers > 1:
        raise UsageError("--reload runs one process; it cannot be combined with --workers")
    if args.forwarded_allow_ips is not None and not args.proxy_headers:
        raise UsageError("--forwarded-allow-ips has no effect with --no-proxy-headers")
    check_tls(args.ssl_certfile, args.ssl_keyfile)


def _run_stdio(target: MCPServer | ASGIApp, scopes: list[str]) -> int:
    if isinstance(target, MCPServer):
        target.run_stdio(scopes=scopes)
        return 0
    found = find_server(target)
    if found is None:
        raise UsageError("the application mounts no MCPServer endpoint to serve over STDIO")
    server = found[0]

    async def serve_app() -> None:
        async with lifespan_state(target) as state:
            await server.serve_stdio(scopes=scopes, state=state)

    try:
        anyio.run(serve_app)
    except LifespanError as exc:
        raise UsageError(f"the application's lifespan failed to start: {exc}") from None
    return 0
