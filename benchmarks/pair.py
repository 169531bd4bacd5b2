"""Ratios between libraries under one case, in alternating short rounds.

`python -m benchmarks.pair CASE [PEER ...] [--rounds N] [--seconds S]`

Every named server (default: the floor and this repo) is started once and stays up; each
round loads them one after the other for S seconds, so that a slow minute on a shared
machine slows every library's share of that round alike. Prints each round's rate, server
CPU per request and p99, then each library's median ratio to the first one (rate, CPU,
p99) with its range. `BENCH_SYNC_TOOLS=1` measures the sync form of the tools, as in
`python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys

from benchmarks import correctness, envs, load, processes
from benchmarks.cases import all_cases
from benchmarks.console import say
from benchmarks.peers import PEERS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=[c.key for c in all_cases()])
    parser.add_argument("peers", nargs="*", default=["floor", "httpmcp"])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    known = {p.key: p for p in PEERS}
    unknown = [key for key in args.peers if key not in known]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}; choose from {', '.join(known)}")
    if len(set(args.peers)) != len(args.peers) or len(args.peers) < 2:
        parser.error(f"give two or more different ones of {', '.join(known)}")
    case = next(c for c in all_cases() if c.key == args.case)
    peers = [known[key] for key in args.peers]
    interpreter = envs.server_python()
    for peer in peers:
        envs.ensure(peer, interpreter)
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {processes.CLIENT_CPU})
    rows: dict[str, list[tuple[float, float, float]]] = {p.key: [] for p in peers}
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(processes.http_server(p, case.tools)) for p in peers]
        for server in servers:
            found = correctness.problem(server.url, case)
            if found is not None:
                say(f"{server.peer.key} does not answer {case.key} correctly: {found}")
                return 1
            load.run_wrk(server.url, case, 1)  # warm-up
        for number in range(1, args.rounds + 1):
            line = []
            for server in servers:
                before = processes.cpu_seconds(server.process.pid)
                report = load.run_wrk(server.url, case, args.seconds)
                cpu = processes.cpu_seconds(server.process.pid) - before
                cpu_us = cpu / max(report.requests, 1) * 1e6
                rows[server.peer.key].append((report.requests_per_second, cpu_us, report.p99_ms))
                line.append(
                    f"{server.peer.key} {report.requests_per_second:,.0f}/s "
                    f"{cpu_us:.0f} us p99 {report.p99_ms:.2f} ms"
                )
            say(f"round {number}: " + "  ".join(line))
    base = peers[0].key
    for peer in peers[1:]:
        say(f"{peer.key} / {base}, median (range) of {args.rounds} rounds:")
        for index, name in enumerate(("rate", "cpu per request", "p99")):
            ratios = [
                mine[index] / theirs[index]
                for mine, theirs in zip(rows[peer.key], rows[base], strict=True)
            ]
            say(
                f"  {name:16s} {statistics.median(ratios):.2f}x "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
