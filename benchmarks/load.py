"""Loading a server with wrk and reading wrk's report."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks import processes
from benchmarks.cases import Case, headers, request_body

SCRIPT = Path(__file__).resolve().parent / "post.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class WrkReport:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    bad_responses: int
    socket_errors: int


def run_wrk(url: str, case: Case, seconds: int) -> WrkReport:
    """Load `url` with `case`'s request from the client CPU for `seconds`."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        body = Path(scratch) / "body.json"
        body.write_bytes(request_body(case))
        header_file = Path(scratch) / "headers.txt"
        header_file.write_text("".join(f"{k}: {v}\n" for k, v in headers(case).items()))
        command = ["wrk", "-t1", f"-c{case.connections}", f"-d{seconds}s", "--latency"]
        command += ["--timeout", "60s", "-s", str(SCRIPT), url]
        environment = {**os.environ, "BENCH_BODY": str(body), "BENCH_HEADERS": str(header_file)}
        output = subprocess.run(
            processes.pinned(processes.CLIENT_CPU, command),
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        ).stdout
    return parse(output)


def parse(output: str) -> WrkReport:
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rate is None:
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkReport(
        requests=int(total.group(1)),
        seconds=_milliseconds(total.group(2), total.group(3)) / 1e3,
        requests_per_second=float(rate.group(1)),
        p50_ms=_percentile(output, "50"),
        p99_ms=_percentile(output, "99"),
        bad_responses=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def _percentile(output: str, which: str) -> float:
    found = re.search(rf"^\s+{which}(?:\.000)?%\s+([\d.]+)(\w+)", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk's report has no {which}% latency:\n{output}")
    return _milliseconds(found.group(1), found.group(2))


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]
