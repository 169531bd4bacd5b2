"""Serving over HTTP for `http-mcp run`: one socket, then uvicorn in one or several processes.

The command binds the socket itself, so that a port in use or a bad address is one clear line
before anything starts, and so that it can say which URL it really serves (also with
`--port 0`). Worker processes and reloads are uvicorn's; they are spawned, so they find the
target through the environment and configure logging from the same dictionary as the parent.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import signal
import socket
import ssl
import stat
from typing import Any, Final

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import ChangeReload

from http_mcp._target import ENV_STORE, UsageError, as_asgi, find_server, server_of
from http_mcp._workers import (
    ENV_FACTORY,
    ENV_PATH,
    ENV_TARGET,
    Uvicorn,
    WorkerApp,
    Workers,
    freeze_start_up_objects,
)
from http_mcp.server import MCPServer

LOG_FORMAT: Final = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
BACKLOG: Final = 2048  # uvicorn's default
_FAILED_TO_START: Final = "the application failed to start (see the log above)"

logger = logging.getLogger("http_mcp")


def log_config(level: str) -> dict[str, Any]:
    """One stderr handler and one format for everything, in the parent and in every worker."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"http_mcp": {"format": LOG_FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "http_mcp",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True}
            for name in ("http_mcp", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Load the certificate and key once here, so that a mistake is one line, not a traceback."""
    if certfile is None:
        if keyfile is not None:
            raise UsageError("--ssl-keyfile needs --ssl-certfile")
        return
    for option, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"{option}: no such file: {path!r}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # An empty password makes an encrypted key fail here instead of prompting on a terminal.
        context.load_cert_chain(certfile, keyfile, password="")
    except ssl.SSLError as exc:
        raise UsageError(
            f"cannot use the certificate {certfile!r} with the key {keyfile or certfile!r}: "
            f"{exc.reason or exc}"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read the certificate or key: {exc.strerror}") from None


class _TerminatedError(Exception):
    """SIGTERM, once uvicorn has shut down gracefully and passed the signal on."""


def _terminated(signum: int, frame: object) -> None:
    raise _TerminatedError


def serve(target: MCPServer | ASGIApp, args: argparse.Namespace) -> int:
    """Serve `target` as the parsed command line says; return the exit status."""
    sock = _listen_unix(args.uds) if args.uds else _listen_tcp(args.host, args.port)
    # uvicorn raises the signal that stopped it again once it is done; a graceful stop on
    # SIGTERM is a success, and the socket file is still to be removed.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(target, args, sock)
    except _TerminatedError:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        if args.uds:
            with contextlib.suppress(FileNotFoundError):
                os.remove(args.uds)


def _run(target: MCPServer | ASGIApp, args: argparse.Namespace, sock: socket.socket) -> int:
    several = args.workers > 1 or args.reload
    if args.workers > 1:
        _check_shared_store(target)
    if several:
        os.environ[ENV_TARGET] = args.target
        os.environ[ENV_PATH] = args.path
        os.environ[ENV_FACTORY] = "1" if args.factory else ""
        if args.store:
            os.environ[ENV_STORE] = args.store
    if several:
        config = uvicorn.Config(WorkerApp(), factory=True, **_uvicorn_options(args))
        server = Uvicorn(config)
    else:
        app = as_asgi(target, args.path)
        freeze_start_up_objects()
        config = uvicorn.Config(app, **_uvicorn_options(args))
        server = Uvicorn(config, server_of(target))
    _warn_about_missing_settings(target, args.workers)
    logger.info("serving on %s", _url(target, args, sock))
    if args.reload:
        ChangeReload(config, target=server.run, sockets=[sock]).run()
    elif args.workers > 1:
        workers = Workers(config, sockets=[sock])
        workers.run()
        if workers.failed_to_start:
            raise UsageError(_FAILED_TO_START)
    else:
        try:
            server.run(sockets=[sock])
        except SystemExit:  # uvicorn's way of saying that the lifespan startup failed
            raise UsageError(_FAILED_TO_START) from None
    return 0


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "interface": "asgi3",  # checked by load_target
        "workers": args.workers,
        "reload": args.reload,
        "log_config": log_config(args.log_level),
        "log_level": args.log_level,
        "access_log": args.access_log,
        "root_path": args.root_path,
        "proxy_headers": args.proxy_headers,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        "ssl_certfile": args.ssl_certfile,
        "ssl_keyfile": args.ssl_keyfile,
        "timeout_graceful_shutdown": args.timeout_graceful_shutdown,
        "backlog": BACKLOG,
    }


def _listen_tcp(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use; choose another with --port"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _listen_unix(path: str) -> socket.socket:
    _remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o666)  # as uvicorn does: a proxy running as another user connects
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on the unix socket {path!r}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _remove_stale_socket(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise UsageError(f"--uds {path!r} exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            os.remove(path)  # left behind by a server that is gone
            return
    raise UsageError(f"the unix socket {path!r} is in use by another server")


def _url(target: MCPServer | ASGIApp, args: argparse.Namespace, sock: socket.socket) -> str:
    scheme = "https" if args.ssl_certfile else "http"
    if isinstance(target, MCPServer):
        path = args.path
    else:
        found = find_server(target)
        path = found[1] if found else "/"
    if args.uds:
        url = f"{scheme}://localhost{path} through the unix socket {args.uds}"
    else:
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"{scheme}://{host}:{sock.getsockname()[1]}{path}"
    if args.root_path:
        url += f" (root path {args.root_path})"
    return url


def _check_shared_store(target: MCPServer | ASGIApp) -> None:
    server = server_of(target)
    if server is not None and server.needs_shared_store and not server.store.shared:
        raise UsageError(
            "--workers needs a store all workers share, since this server keeps state between "
            f"requests: add --store redis://HOST:6379/0 (or set {ENV_STORE})"
        )


def _warn_about_missing_settings(target: MCPServer | ASGIApp, workers: int) -> None:
    if workers < 2:
        return
    server = server_of(target)
    if server is None or server._shares_request_state_key:
        return
    logger.warning(
        "%d workers and no request_state_key: each worker signs the requestState of "
        "input-required results with its own random key, so a client whose retry reaches "
        "another worker is refused (and so is a back_channel session id, with 404); give the "
        "MCPServer request_state_key=... (the same secret in every worker and replica)",
        workers,
    )
