"""What a run measures and for how long, from BENCH_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchmarks.envs import REPO
from benchmarks.peers import PEER_KEYS


@dataclass(frozen=True)
class Settings:
    seconds: int
    warmup: int
    stdio_calls: int
    stdio_warmup: int
    import_runs: int
    peers: tuple[str, ...]
    cases: str
    output: Path

    @classmethod
    def from_environment(cls) -> Settings:
        peers = tuple(p for p in os.environ.get("BENCH_PEERS", "").split(",") if p)
        unknown = set(peers) - set(PEER_KEYS)
        if unknown:
            raise SystemExit(f"BENCH_PEERS: unknown {sorted(unknown)}; choose from {PEER_KEYS}")
        return cls(
            seconds=int(os.environ.get("BENCH_SECONDS", "10")),
            warmup=int(os.environ.get("BENCH_WARMUP", "2")),
            stdio_calls=int(os.environ.get("BENCH_STDIO_CALLS", "2000")),
            stdio_warmup=int(os.environ.get("BENCH_STDIO_WARMUP", "200")),
            import_runs=int(os.environ.get("BENCH_IMPORT_RUNS", "7")),
            peers=peers or PEER_KEYS,
            cases=os.environ.get("BENCH_CASES", ""),
            output=Path(os.environ.get("BENCH_OUTPUT", REPO / "benchmarks" / "results.md")),
        )
