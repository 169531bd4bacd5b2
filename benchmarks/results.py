"""What a run found, kept as plain data so that it can be written as JSON beside the report."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.envs import REPO
from benchmarks.load import WrkReport
from benchmarks.settings import Settings

_GIT_STATUS = ("git", "-C", str(REPO), "status", "--porcelain")


@dataclass(frozen=True)
class Measurement:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    rss_mib: float
    requests: int
    bad_responses: int
    socket_errors: int

    @classmethod
    def of(cls, wrk: WrkReport, cpu_seconds: float, rss_mib: float) -> Measurement:
        return cls(
            requests_per_second=wrk.requests_per_second,
            p50_ms=wrk.p50_ms,
            p99_ms=wrk.p99_ms,
            cpu_us_per_request=cpu_seconds / wrk.requests * 1e6,
            rss_mib=rss_mib,
            requests=wrk.requests,
            bad_responses=wrk.bad_responses,
            socket_errors=wrk.socket_errors,
        )

    def summary(self) -> str:
        text = (
            f"{self.requests_per_second:,.1f} req/s  p50 {self.p50_ms:.2f} ms  "
            f"p99 {self.p99_ms:.2f} ms  cpu {self.cpu_us_per_request:,.0f} us/req"
        )
        if self.bad_responses or self.socket_errors:
            text += f"  ({self.bad_responses} non-2xx, {self.socket_errors} socket errors)"
        return text


@dataclass
class Results:
    settings: dict[str, Any]
    machine: dict[str, str]
    versions: dict[str, dict[str, str]]
    http: dict[str, dict[str, Measurement]] = field(default_factory=dict)
    stdio: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    startup_s: dict[str, dict[str, float]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, settings: Settings, interpreter: str, versions: dict[str, dict[str, str]]
    ) -> Results:
        return cls(
            settings={k: _shown(v) for k, v in vars(settings).items()},
            machine=machine(interpreter),
            versions=versions,
        )


def machine(interpreter: str) -> dict[str, str]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "memory": _memory(),
        "server_python": _run([interpreter, "-VV"]).replace("\n", " "),
        "harness_python": platform.python_version(),
        "wrk": _run(["wrk", "-v"]).splitlines()[0],
        "commit": _run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "dirty": "yes" if _run([*_GIT_STATUS, "--", ".", ":!benchmarks"]) else "no",
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "unknown"


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip()


def _shown(value: Any) -> str:
    """Settings as text; paths inside the repository relative to it."""
    if isinstance(value, Path) and value.is_relative_to(REPO):
        return str(value.relative_to(REPO))
    return str(value)
