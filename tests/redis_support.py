"""A real redis-server for the tests, on a free loopback port, stopped by pid.

`scripts/redis-server` (run by `scripts/test`) unpacks the distribution's package into
`.tools/redis`. Without it the Redis tests are skipped with the reason, except under `CI=true`,
where a missing server is a failure.

Fixtures (registered in conftest): `redis_url`, one server for the whole session (tests keep
apart with their own key prefix), and `redis_server`, a `RedisServer` of the test's own that it
may stop, restart on the same port, pause and resume.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parent.parent
SCRIPT: Final = ROOT / "scripts" / "redis-server"
BINARY: Final = ROOT / ".tools" / "redis" / "usr" / "bin" / "redis-server"
START_TIMEOUT_S: Final = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def require_redis() -> None:
    """Skip the test when no redis-server is unpacked, or fail it under `CI=true`."""
    if BINARY.exists():
        return
    reason = "redis-server is not unpacked in .tools/redis: run scripts/redis-server"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def ping(port: int, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING on `port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process with no persistence, in its own temporary directory."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="http-mcp-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers PING."""
        assert self._process is None, "already running"
        command = [str(SCRIPT), "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", self._dir.name]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ping(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.01)  # polling a port that is not listening yet: no event to wait on

    def stop(self) -> None:
        """Stop the server by its pid and wait until it has exited."""
        process, self._process = self._process, None
        if process is None:
            return
        os.kill(process.pid, signal.SIGCONT)  # a paused server cannot handle SIGTERM
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted but nothing is answered."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a redis-server shared by the session's tests."""
    require_redis()
    server = RedisServer()
    try:
        server.start()
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of this test's own, started; the test may stop and restart it."""
    require_redis()
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
