"""The `http-mcp` command line: every mistake is one line and exit status 2, before serving."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Final

import pytest

import http_mcp
from tests.cli_support import run_cli

APP: Final = "tests.fixtures.stdio_server:app"
SERVER: Final = "tests.fixtures.stdio_server:server"
TARGETS: Final = "tests.fixtures.cli_targets"
NOT_SERVABLE: Final = "not an MCPServer or an ASGI application"


def _usage(*arguments: str) -> str:
    """Run the command; check it failed as a usage error; return its one line."""
    completed = run_cli(*arguments)
    assert completed.returncode == 2, completed
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1, completed.stderr
    return completed.stderr


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        pytest.param(("run", "no-colon"), "'no-colon' is not MODULE:ATTRIBUTE", id="bad-target"),
        pytest.param(
            ("run", "tests.fixtures.no_such_module:app"),
            "cannot import module 'tests.fixtures.no_such_module': no such module",
            id="missing-module",
        ),
        pytest.param(
            ("run", "tests.fixtures.stdio_server:nothing"),
            "module 'tests.fixtures.stdio_server' has no attribute 'nothing'",
            id="missing-attribute",
        ),
        pytest.param(
            ("run", "tests.fixtures.stdio_server:not_a_server", "--stdio"),
            f"'tests.fixtures.stdio_server:not_a_server' is an int, {NOT_SERVABLE}",
            id="wrong-type",
        ),
        pytest.param(
            ("run", f"{TARGETS}:plain_function"),
            rf"is a function taking \(request\), {NOT_SERVABLE} .*add --factory",
            id="plain-function",
        ),
        pytest.param(
            ("run", f"{TARGETS}:two_parameters"),
            rf"is an async function taking \(scope, receive\), {NOT_SERVABLE}",
            id="async-function-not-asgi",
        ),
        pytest.param(
            ("run", f"{TARGETS}:RequestInfo"),
            f"is the class RequestInfo, {NOT_SERVABLE}",
            id="class",
        ),
        pytest.param(
            ("run", f"{TARGETS}:make_server"),
            "is a function taking \\(\\), .*add --factory",
            id="factory-without-flag",
        ),
        pytest.param(
            ("run", SERVER, "--factory"),
            "--factory: .* is an MCPServer already; leave out --factory",
            id="factory-flag-on-server",
        ),
        pytest.param(
            ("run", "tests.fixtures.stdio_server:not_a_server", "--factory"),
            "--factory: .* is an int, not a function",
            id="factory-not-callable",
        ),
        pytest.param(
            ("run", f"{TARGETS}:async_factory", "--factory"),
            "--factory: .* is an async function; the factory must be a plain function",
            id="factory-async",
        ),
        pytest.param(
            ("run", f"{TARGETS}:factory_with_arguments", "--factory"),
            r"--factory: .* takes \(name\); the factory is called without arguments",
            id="factory-with-arguments",
        ),
        pytest.param(
            ("run", f"{TARGETS}:factory_of_nothing", "--factory"),
            f"the factory '{TARGETS}:factory_of_nothing' returned a NoneType, {NOT_SERVABLE}",
            id="factory-returns-nothing",
        ),
        pytest.param(
            ("run", f"{TARGETS}:raw_app", "--stdio"),
            "the application mounts no MCPServer endpoint",
            id="app-without-server",
        ),
        pytest.param(
            ("run", APP, "--port", "70000"),
            "argument --port: must be a port number from 0 to 65535, got '70000'",
            id="port-too-high",
        ),
        pytest.param(
            ("run", APP, "--port", "eighty"), "argument --port: must be a port", id="port-word"
        ),
        pytest.param(
            ("run", APP, "--workers", "0"), "argument --workers: must be a whole", id="workers-0"
        ),
        pytest.param(
            ("run", APP, "--workers", "two"), "argument --workers: must be", id="workers-word"
        ),
        pytest.param(
            ("run", APP, "--log-level", "loud"), "argument --log-level: invalid choice", id="level"
        ),
        pytest.param(
            ("run", APP, "--path", "mcp"), "argument --path: must start with /", id="path"
        ),
        pytest.param(
            ("run", APP, "--timeout-graceful-shutdown", "-1"),
            "argument --timeout-graceful-shutdown: must be a number of seconds",
            id="timeout",
        ),
        pytest.param(
            ("run", APP, "--ssl-certfile", "no-such-cert.pem"),
            "--ssl-certfile: no such file: 'no-such-cert.pem'",
            id="certfile-missing",
        ),
        pytest.param(
            ("run", APP, "--ssl-certfile", "pyproject.toml", "--ssl-keyfile", "no-such-key.pem"),
            "--ssl-keyfile: no such file: 'no-such-key.pem'",
            id="keyfile-missing",
        ),
        pytest.param(
            ("run", APP, "--ssl-keyfile", "pyproject.toml"),
            "--ssl-keyfile needs --ssl-certfile",
            id="keyfile-alone",
        ),
        pytest.param(
            ("run", APP, "--ssl-certfile", "pyproject.toml"),
            "cannot use the certificate 'pyproject.toml' with the key 'pyproject.toml': ",
            id="certfile-not-a-certificate",
        ),
        pytest.param(
            ("run", APP, "--uds", "pyproject.toml"),
            "--uds 'pyproject.toml' exists and is not a socket",
            id="uds-not-a-socket",
        ),
        pytest.param(
            ("run", APP, "--uds", "no-such-directory/mcp.sock"),
            "cannot listen on the unix socket 'no-such-directory/mcp.sock': No such file",
            id="uds-directory-missing",
        ),
        pytest.param(
            ("run", APP, "--host", "no-such-host.invalid"),
            "cannot listen on no-such-host.invalid:8000: ",
            id="host-unknown",
        ),
        pytest.param(
            ("run", APP, "--stdio", "--port", "9000"),
            "--port is an HTTP option; it has no effect with --stdio",
            id="stdio-with-http-option",
        ),
        pytest.param(
            ("run", APP, "--scope", "mcp:read"),
            "--scope is for --stdio; over HTTP the caller's scopes come from authentication",
            id="scope-over-http",
        ),
        pytest.param(
            ("run", APP, "--reload", "--workers", "2"),
            "--reload runs one process; it cannot be combined with --workers",
            id="reload-and-workers",
        ),
        pytest.param(
            ("run", APP, "--no-proxy-headers", "--forwarded-allow-ips", "*"),
            "--forwarded-allow-ips has no effect with --no-proxy-headers",
            id="forwarded-ips-without-proxy-headers",
        ),
        pytest.param(("run",), "the following arguments are required", id="no-target"),
        pytest.param((), "the following arguments are required: command", id="no-command"),
        pytest.param(("serve", APP), "argument command: invalid choice", id="unknown-command"),
    ],
)
def test_bad_invocation_is_one_line_and_exit_status_2(
    arguments: tuple[str, ...], pattern: str
) -> None:
    line = _usage(*arguments)
    assert re.match(rf"http-mcp( run)?: .*{pattern}", line), line


def test_lifespan_failure_under_stdio_is_a_usage_error() -> None:
    completed = run_cli("run", "tests.fixtures.stdio_server:failing_app", "--stdio")
    assert completed.returncode == 2
    assert "http-mcp: the application's lifespan failed to start" in completed.stderr
    assert "RuntimeError: the database is down" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "traceback", "line"),
    [
        pytest.param(
            ("tests.fixtures.broken:app",),
            "RuntimeError: this module fails on import, on purpose",
            "http-mcp: importing module 'tests.fixtures.broken' failed (traceback above)",
            id="import-raises",
        ),
        pytest.param(
            ("tests.fixtures.missing_dependency:app", "--stdio"),
            "ModuleNotFoundError: No module named 'tests.fixtures.missing'",
            "http-mcp: importing module 'tests.fixtures.missing_dependency' failed",
            id="missing-dependency",
        ),
        pytest.param(
            (f"{TARGETS}:failing_factory", "--factory"),
            "RuntimeError: the factory fails, on purpose",
            f"http-mcp: calling the factory '{TARGETS}:failing_factory' failed (traceback above)",
            id="factory-raises",
        ),
    ],
)
def test_failure_in_your_code_shows_its_traceback_then_one_line(
    arguments: tuple[str, ...], traceback: str, line: str
) -> None:
    completed = run_cli("run", *arguments)
    assert completed.returncode == 2
    assert traceback in completed.stderr
    assert completed.stderr.rstrip("\n").splitlines()[-1].startswith(line)


def test_port_in_use_is_a_usage_error_with_a_clear_message() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        line = _usage("run", APP, "--port", str(port))
    assert line.startswith(f"http-mcp: port {port} on 127.0.0.1 is already in use")


def test_unix_socket_in_use_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "mcp.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as occupant:
        occupant.bind(str(path))
        occupant.listen()
        line = _usage("run", APP, "--uds", str(path))
    assert line == f"http-mcp: the unix socket {str(path)!r} is in use by another server\n"


def test_application_that_fails_to_start_over_http_exits_with_status_2() -> None:
    completed = run_cli("run", "tests.fixtures.stdio_server:failing_app", "--port", "0")
    assert completed.returncode == 2
    assert "RuntimeError: the database is down" in completed.stderr
    last = completed.stderr.rstrip("\n").splitlines()[-1]
    assert last == "http-mcp: the application failed to start (see the log above)"


def test_application_that_fails_to_start_in_workers_exits_with_status_2() -> None:
    target = "tests.fixtures.stdio_server:failing_app"
    completed = run_cli("run", target, "--port", "0", "--workers", "2")
    assert completed.returncode == 2
    assert "RuntimeError: the database is down" in completed.stderr
    last = completed.stderr.rstrip("\n").splitlines()[-1]
    assert last == "http-mcp: the application failed to start (see the log above)"


def test_version_prints_the_package_version() -> None:
    completed = run_cli("--version")
    assert completed.returncode == 0
    assert completed.stdout == f"http-mcp {http_mcp.__version__}\n"


def test_help_describes_the_run_command_and_its_options() -> None:
    top = run_cli("--help")
    run = run_cli("run", "--help")
    assert top.returncode == run.returncode == 0
    assert top.stdout.startswith("usage: http-mcp")
    assert "--version" in top.stdout
    options = (
        "--stdio --scope --host --port --uds --path --workers --reload --factory --log-level "
        "--access-log --no-access-log --root-path --proxy-headers --no-proxy-headers "
        "--forwarded-allow-ips --ssl-certfile --ssl-keyfile --timeout-graceful-shutdown"
    )
    for option in options.split():
        assert option in run.stdout
    assert "default: on with --log-level debug, off otherwise" in " ".join(run.stdout.split())
