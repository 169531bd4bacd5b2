"""Starting a server pinned to a CPU, reading its CPU time and memory, and stopping it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from benchmarks import envs
from benchmarks.peers import Peer

SERVER_CPU = 0
CLIENT_CPU = 1
LOGS = envs.REPO / "benchmarks" / ".venvs" / "logs"
_TICKS = os.sysconf("SC_CLK_TCK")


def pinned(cpu: int, command: list[str]) -> list[str]:
    """`command` run on one CPU, when the machine has more than one."""
    if (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", str(cpu), *command]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HTTPServer:
    peer: Peer
    tools: int
    port: int
    process: subprocess.Popen[bytes]
    started_in: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


@contextlib.contextmanager
def http_server(peer: Peer, tools: int, timeout: float = 120.0) -> Iterator[HTTPServer]:
    """Serve `peer` with `tools` tools on a free loopback port until the block ends."""
    port = free_port()
    command = [str(envs.python_of(peer)), "-m", "benchmarks.servers.launch", peer.key]
    command += ["--tools", str(tools), "--port", str(port)]
    with _log(f"{peer.key}-{tools}-http") as log:
        start = time.perf_counter()
        process = _spawn(pinned(SERVER_CPU, command), stdout=log, stdin=subprocess.DEVNULL)
        try:
            _wait_listening(process, port, timeout, log.name)
            server = HTTPServer(peer, tools, port, process, time.perf_counter() - start)
            yield server
        finally:
            stop(process)


@contextlib.contextmanager
def stdio_server(peer: Peer, tools: int) -> Iterator[subprocess.Popen[bytes]]:
    command = [str(envs.python_of(peer)), "-m", "benchmarks.servers.launch", peer.key]
    command += ["--tools", str(tools), "--stdio"]
    with _log(f"{peer.key}-{tools}-stdio") as log:
        process = _spawn(
            pinned(SERVER_CPU, command), stdout=subprocess.PIPE, stdin=subprocess.PIPE, log=log
        )
        try:
            yield process
        finally:
            if process.stdin is not None:
                process.stdin.close()
            stop(process)
            if process.stdout is not None:
                process.stdout.close()


def _spawn(
    command: list[str], stdout: IO[bytes] | int, stdin: int, log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=envs.REPO,
        stdin=stdin,
        stdout=stdout,
        stderr=log if log is not None else stdout,
        start_new_session=True,
    )


@contextlib.contextmanager
def _log(name: str) -> Iterator[IO[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"{name}.log").open("wb") as log:
        yield log


def _wait_listening(
    process: subprocess.Popen[bytes], port: int, timeout: float, log: str | int
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server not listening on port {port} after {timeout:.0f} s; see {log}")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; only this process, by its id."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
