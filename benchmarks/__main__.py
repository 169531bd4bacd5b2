"""Run every benchmark and write benchmarks/results.md: `python -m benchmarks` (or benchmarks/run).

Order: environments, the correctness check of every server, HTTP load with wrk, STDIO round
trips, import times, the report. Every server is started and stopped here.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import asdict
from types import FrameType

from benchmarks import correctness, envs, imports, load, processes, report, stdio
from benchmarks.cases import ERAS, Case, all_cases
from benchmarks.console import say
from benchmarks.peers import PEERS, Peer
from benchmarks.results import Measurement, Results
from benchmarks.settings import Settings


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_signal)
    settings = Settings.from_environment()
    if shutil.which("wrk") is None:
        say("benchmarks: wrk is missing; benchmarks/run installs it (apt-get install wrk)")
        return 1
    peers = [p for p in PEERS if p.key in settings.peers]
    cases = [c for c in all_cases() if settings.cases in c.key]
    interpreter = envs.server_python()
    for peer in peers:
        envs.ensure(peer, interpreter)
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {processes.CLIENT_CPU})
    results = Results.start(settings, interpreter, {p.key: envs.versions(p) for p in peers})
    say("== correctness: each server answers each benchmarked request")
    fine = True
    for peer in peers:
        verdicts = correctness.check_peer(peer, cases)
        fine = correctness.report(peer, verdicts) and fine
        for key, verdict in verdicts.items():
            if verdict.reason is not None:
                results.unavailable[f"{peer.key}/{key}"] = verdict.reason
    say("== HTTP load (wrk)")
    for tools in sorted({c.tools for c in cases}):
        for peer in peers:
            group = [c for c in cases if c.tools == tools and _runnable(results, peer, c)]
            if group:
                _load(results, peer, tools, group, settings)
    say("== STDIO round trips")
    for peer in peers:
        for era in ERAS:
            if settings.cases in f"stdio-{era}":
                _stdio(results, peer, era, settings)
    say("== import time")
    for peer in peers:
        if settings.cases in "import":
            results.imports[peer.key] = asdict(imports.import_time(peer, settings.import_runs))
            say(f"  {peer.key:<11} {results.imports[peer.key]['median_ms']:.0f} ms")
    report.write(results, settings.output)
    say(f"== wrote {settings.output}")
    return 0 if fine else 1


def _runnable(results: Results, peer: Peer, case: Case) -> bool:
    return f"{peer.key}/{case.key}" not in results.unavailable


def _load(results: Results, peer: Peer, tools: int, group: list[Case], settings: Settings) -> None:
    with processes.http_server(peer, tools) as server:
        results.startup_s.setdefault(peer.key, {})[str(tools)] = server.started_in
        pid = server.process.pid
        for case in group:
            found = correctness.problem(server.url, case)
            if found is not None:
                results.unavailable[f"{peer.key}/{case.key}"] = f"failed re-check: {found}"
                say(f"  {peer.key:<11} {case.key:<28} FAILED re-check: {found}")
                continue
            if settings.warmup > 0:
                load.run_wrk(server.url, case, settings.warmup)
            cpu_before = processes.cpu_seconds(pid)
            wrk = load.run_wrk(server.url, case, settings.seconds)
            cpu = processes.cpu_seconds(pid) - cpu_before
            if wrk.requests == 0:
                reason = f"no request finished within {settings.seconds} s"
                results.unavailable[f"{peer.key}/{case.key}"] = reason
                say(f"  {peer.key:<11} {case.key:<28} {reason}")
                continue
            measured = Measurement.of(wrk, cpu, processes.rss_mib(pid))
            results.http.setdefault(case.key, {})[peer.key] = measured
            say(f"  {peer.key:<11} {case.key:<28} {measured.summary()}")


def _stdio(results: Results, peer: Peer, era: str, settings: Settings) -> None:
    key = f"stdio-{era}"
    declared = peer.unsupported.get(era)
    if declared is not None:
        results.unavailable[f"{peer.key}/{key}"] = declared
        return
    try:
        measured = stdio.round_trips(peer, era, settings.stdio_calls, settings.stdio_warmup)
    except (RuntimeError, AssertionError, ValueError) as exc:
        results.unavailable[f"{peer.key}/{key}"] = f"failed: {exc}"
        say(f"  {peer.key:<11} {key:<28} FAILED: {exc}")
        return
    results.stdio.setdefault(era, {})[peer.key] = asdict(measured)
    say(f"  {peer.key:<11} {key:<28} {measured.calls_per_second:,.0f} calls/s")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the `with` blocks, which stop the servers


if __name__ == "__main__":
    sys.exit(main())
