"""Import time: the median wall time of `python -c "import ..."`, less a bare interpreter start."""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass

from benchmarks import envs, processes
from benchmarks.peers import Peer


@dataclass(frozen=True)
class ImportReport:
    statement: str
    median_ms: float
    bare_start_ms: float

    @property
    def net_ms(self) -> float:
        return self.median_ms - self.bare_start_ms


def import_time(peer: Peer, runs: int) -> ImportReport:
    python = str(envs.python_of(peer))
    return ImportReport(
        statement=peer.imports,
        median_ms=_median_ms([python, "-c", peer.imports], runs),
        bare_start_ms=_median_ms([python, "-c", "pass"], runs),
    )


def _median_ms(command: list[str], runs: int) -> float:
    pinned = processes.pinned(processes.SERVER_CPU, command)
    subprocess.run(pinned, check=True, cwd=envs.REPO)  # warm the file cache and .pyc files
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(pinned, check=True, cwd=envs.REPO)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)
