"""Running `http-mcp` as a real process: its exit, its log, and a server on a free port."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from tests.conftest import legacy_request

ROOT: Final = Path(__file__).resolve().parent.parent
TIMEOUT: Final = 20.0
ACCEPT: Final = {"accept": "application/json, text/event-stream"}
SERVING: Final = re.compile(r"serving on (\S+)")
# LOG_FORMAT of the command: time, level, [pid], logger: message.
LOG_LINE: Final = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \[(\d+)\] "
    r"([\w.]+): (.*)"
)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "http_mcp", *args]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args), cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def call(name: str, arguments: dict[str, Any], request_id: int | str = 1) -> Any:
    return legacy_request("tools/call", {"name": name, "arguments": arguments}, request_id)


class ServerLog:
    """Reads a server's stderr in a thread, so that the test can wait for lines without sleeping."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        self._stderr = process.stderr
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.text = ""
        self.ended = False
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for line in self._stderr:
            self._lines.put(line.decode(errors="replace"))
        self._lines.put(None)

    def wait_for(self, pattern: str | re.Pattern[str], count: int = 1) -> list[re.Match[str]]:
        """Read until `count` lines match `pattern`; fail if the process ends or time runs out."""
        deadline = time.monotonic() + TIMEOUT
        found: list[re.Match[str]] = [
            m for m in (re.search(pattern, line) for line in self.text.splitlines()) if m
        ]
        while len(found) < count:
            if self.ended:
                pytest.fail(f"the server exited before logging {pattern!r}:\n{self.text}")
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"no {pattern!r} within {TIMEOUT} s:\n{self.text}")
            if line is None:
                self.ended = True
                continue
            self.text += line
            match = re.search(pattern, line)
            if match:
                found.append(match)
        return found

    def close(self) -> str:
        """Everything the process wrote, once it has ended."""
        while not self.ended:
            line = self._lines.get(timeout=TIMEOUT)
            if line is None:
                self.ended = True
            else:
                self.text += line
        self._thread.join(TIMEOUT)
        self._stderr.close()
        return self.text


@dataclass
class Served:
    """A running `http-mcp run`: the URL it says it serves, its pid, its log."""

    url: str
    pid: int
    log: ServerLog
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"


@contextmanager
def serving(target: str, *options: str, workers: int = 1) -> Iterator[Served]:
    """`http-mcp run TARGET ... --port 0`, once it serves and every worker has started."""
    arguments = ["run", target, *options]
    if "--uds" not in options:
        arguments += ["--port", "0"]
    if workers > 1:
        arguments += ["--workers", str(workers)]
    with started(*arguments) as (process, log):
        url = log.wait_for(SERVING)[0].group(1)
        log.wait_for("Application startup complete", count=workers)
        yield Served(url, process.pid, log, process)


@contextmanager
def started(*arguments: str) -> Iterator[tuple[subprocess.Popen[bytes], ServerLog]]:
    """The command in its own process group, stopped (with its workers) at the end."""
    process = subprocess.Popen(
        cli(*arguments),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    log = ServerLog(process)
    try:
        yield process, log
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(TIMEOUT)
