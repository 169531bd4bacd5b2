"""Where a server spends its time under one case: `python -m benchmarks.profile CASE [PEER]`.

Loads the server with wrk while py-spy samples it, keeps the flame graph and the collapsed
stacks under benchmarks/.venvs/profiles/, and prints the functions with the most samples,
by their own time and with what they call. py-spy lives in its own environment.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import venv

from benchmarks import correctness, envs, load, processes
from benchmarks.cases import all_cases
from benchmarks.console import say
from benchmarks.peers import PEERS

PY_SPY = "py-spy==0.4.1"
TOOLS = envs.VENVS / "tools"
PROFILES = envs.VENVS / "profiles"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=[c.key for c in all_cases()])
    parser.add_argument("peer", nargs="?", default="httpmcp", choices=[p.key for p in PEERS])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    case = next(c for c in all_cases() if c.key == args.case)
    peer = next(p for p in PEERS if p.key == args.peer)
    envs.ensure(peer, envs.server_python())
    py_spy = _py_spy()
    PROFILES.mkdir(parents=True, exist_ok=True)
    stem = PROFILES / f"{peer.key}-{case.key}"
    with processes.http_server(peer, case.tools) as server:
        found = correctness.problem(server.url, case)
        if found is not None:
            say(f"{peer.key} does not answer {case.key} correctly: {found}")
            return 1
        load.run_wrk(server.url, case, 2)
        pid = str(server.process.pid)
        for fmt, suffix in (("raw", ".txt"), ("flamegraph", ".svg")):
            record = [py_spy, "record", "--pid", pid, "--rate", "250", "--gil"]
            record += ["--format", fmt, "--output", f"{stem}{suffix}"]
            record += ["--duration", str(args.seconds)]
            spy = subprocess.Popen(processes.pinned(processes.CLIENT_CPU, record))
            report = load.run_wrk(server.url, case, args.seconds)
            spy.wait()
    say(f"{peer.key} {case.key}: {report.requests_per_second:,.0f} req/s while sampled")
    say(f"flame graph: {stem}.svg")
    _print_top(stem.with_suffix(".txt").read_text(), args.top)
    return 0


def _py_spy() -> str:
    binary = TOOLS / "bin" / "py-spy"
    if not binary.exists():
        venv.create(TOOLS, with_pip=True)
        pip = [str(TOOLS / "bin" / "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", PY_SPY], check=True)
    return str(binary)


def _print_top(collapsed: str, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    for title, counter in (("own time", own), ("including callees", inclusive)):
        say(f"\n-- top {top} by {title} ({total} samples)")
        for frame, samples in counter.most_common(top):
            say(f"{samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    sys.exit(main())
