"""STDIO round trips: sequential `tools/call add` requests over a pipe, one at a time."""

from __future__ import annotations

import json
import os
import select
import statistics
import time
from dataclasses import dataclass
from typing import IO, Any

from benchmarks import processes
from benchmarks.cases import CLIENT_INFO, LEGACY, SMALL_CATALOG, Case, all_cases, body, check_answer
from benchmarks.peers import Peer

ANSWER_TIMEOUT = 30.0


@dataclass(frozen=True)
class StdioReport:
    calls: int
    seconds: float
    calls_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_call: float
    rss_mib: float


def add_case(era: str) -> Case:
    return next(c for c in all_cases() if c.key == f"call-add-{era}-c1")


def round_trips(peer: Peer, era: str, calls: int, warmup: int) -> StdioReport:
    """Time `calls` sequential calls after `warmup` ones; raise if any answer is wrong."""
    case = add_case(era)
    with processes.stdio_server(peer, SMALL_CATALOG) as server:
        assert server.stdin is not None
        assert server.stdout is not None
        channel = _Channel(server.stdin, server.stdout.fileno())
        if era == LEGACY:
            channel.handshake(era)
        for request_id in range(1, warmup + 1):
            channel.call(case, request_id)
        cpu_before = processes.cpu_seconds(server.pid)
        latencies = []
        start = time.perf_counter()
        for request_id in range(warmup + 1, warmup + calls + 1):
            latencies.append(channel.call(case, request_id))
        elapsed = time.perf_counter() - start
        cpu = processes.cpu_seconds(server.pid) - cpu_before
        rss = processes.rss_mib(server.pid)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return StdioReport(
        calls=calls,
        seconds=elapsed,
        calls_per_second=calls / elapsed,
        p50_ms=statistics.median(latencies) * 1e3,
        p99_ms=quantiles[98] * 1e3,
        cpu_us_per_call=cpu / calls * 1e6,
        rss_mib=rss,
    )


class _Channel:
    """Newline-delimited JSON over the server's pipes, with a bounded wait for each line."""

    def __init__(self, stdin: IO[bytes], stdout_fd: int) -> None:
        self.stdin = stdin
        self.stdout_fd = stdout_fd
        self.pending = bytearray()

    def send(self, message: bytes) -> None:
        self.stdin.write(message + b"\n")
        self.stdin.flush()

    def answer(self, request_id: int) -> dict[str, Any]:
        """The response to `request_id`, skipping notifications the server sends meanwhile."""
        while True:
            line = self.line()
            message = json.loads(line)
            if isinstance(message, dict) and message.get("id") == request_id:
                return message
            if isinstance(message, dict) and "id" in message:
                raise RuntimeError(f"answer to another request: {line[:200]!r}")

    def line(self) -> bytes:
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while (end := self.pending.find(b"\n")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.stdout_fd], [], [], remaining)[0]:
                raise RuntimeError(f"no answer within {ANSWER_TIMEOUT:.0f} s (see the log)")
            chunk = os.read(self.stdout_fd, 1 << 16)
            if not chunk:
                raise RuntimeError("the server closed its stdout (see its log)")
            self.pending += chunk
        line = bytes(self.pending[:end])
        del self.pending[: end + 1]
        return line

    def handshake(self, era: str) -> None:
        params = {"protocolVersion": era, "capabilities": {}, "clientInfo": CLIENT_INFO}
        self.send(body("initialize", params, era, request_id=0))
        answer = self.answer(0)
        if "result" not in answer:
            raise RuntimeError(f"initialize failed: {answer!r:.300}")
        self.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')

    def call(self, case: Case, request_id: int) -> float:
        message = body(case.method, case.params, case.era, request_id)
        start = time.perf_counter()
        self.send(message)
        answer = self.answer(request_id)
        elapsed = time.perf_counter() - start
        check_answer(case, answer, request_id)
        return elapsed
