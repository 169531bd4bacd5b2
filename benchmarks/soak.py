"""Memory over a long run: `python -m benchmarks.soak [REQUESTS]` (default 1,000,000).

Serves this repository's http-mcp (its benchmark environment, made by benchmarks/run) pinned
to one CPU, loads it with `tools/call add` at 32 connections from the other CPU until wrk has
sent REQUESTS requests, and samples the server's RSS every few seconds. Writes
benchmarks/soak.md.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from benchmarks import envs, processes
from benchmarks.cases import MODERN, all_cases
from benchmarks.load import run_wrk
from benchmarks.peers import PEERS

OUTPUT = envs.REPO / "benchmarks" / "soak.md"
SAMPLE_SECONDS = 5.0


def main() -> int:
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    peer = next(p for p in PEERS if p.key == "httpmcp")
    case = next(c for c in all_cases() if c.key == f"call-add-{MODERN}-c32")
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {processes.CLIENT_CPU})
    with processes.http_server(peer, case.tools) as server:
        pid = server.process.pid
        probe = run_wrk(server.url, case, 3)
        seconds = max(10, round(wanted / probe.requests_per_second))
        samples: list[tuple[float, float]] = [(0.0, processes.rss_mib(pid))]
        stop = threading.Event()
        start = time.monotonic()

        def sample() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                samples.append((time.monotonic() - start, processes.rss_mib(pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        report = run_wrk(server.url, case, seconds)
        stop.set()
        sampler.join()
        samples.append((time.monotonic() - start, processes.rss_mib(pid)))
    lines = [
        "# Memory over a long run",
        "",
        f"`tools/call add` ({MODERN}, 32 connections) against this repository's http-mcp for "
        f"{report.seconds:.0f} s: {report.requests:,} requests, "
        f"{report.requests_per_second:,.0f} req/s, {report.bad_responses} bad responses, "
        f"{report.socket_errors} socket errors. Server RSS sampled every {SAMPLE_SECONDS:.0f} s:",
        "",
        "| seconds | RSS MiB |",
        "| --- | --- |",
        *(f"| {at:.0f} | {rss:.1f} |" for at, rss in samples),
        "",
        f"First sample after warm-up {samples[1][1]:.1f} MiB, last {samples[-1][1]:.1f} MiB.",
        "",
    ]
    OUTPUT.write_text("\n".join(lines))
    print("\n".join(lines))  # noqa: T201
    return 0 if report.bad_responses == 0 and report.socket_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
