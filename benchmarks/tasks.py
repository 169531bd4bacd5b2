"""Task poll throughput: `tasks/get` per second on the in-process store and on Redis.

    python -m benchmarks.tasks        # needs wrk (benchmarks/run installs it)

Serves `conformance.fixtures:app` (one uvicorn worker, pinned to CPU 0), makes one task
with `slow_compute` and loads `tasks/get` of it with wrk from CPU 1, first with the server's
default in-process store, then with a redis-server from `scripts/redis-server` on loopback.
Prints one line per store; BENCH_SECONDS (default 10) sets the measured time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks import processes
from benchmarks.load import SCRIPT, WrkReport, parse
from conformance.run import free_port, stop, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
EXTENSIONS = {"extensions": {"io.modelcontextprotocol/tasks": {}}}
CONNECTIONS = 16


def request(method: str, params: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": EXTENSIONS,
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
    name = params.get("taskId", params.get("name"))
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
        "Mcp-Name": str(name),
    }
    return json.dumps(body).encode(), headers


def poll_rate(url: str, seconds: int) -> WrkReport:
    body, headers = request("tools/call", {"name": "slow_compute", "arguments": {"seconds": 0}})
    with urllib.request.urlopen(urllib.request.Request(url, body, headers)) as response:
        task_id = json.loads(response.read())["result"]["taskId"]
    body, headers = request("tasks/get", {"taskId": task_id})
    with tempfile.TemporaryDirectory(prefix="bench-tasks-") as scratch:
        (Path(scratch) / "body.json").write_bytes(body)
        (Path(scratch) / "headers.txt").write_text(
            "".join(f"{k}: {v}\n" for k, v in headers.items())
        )
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
        command += ["-s", str(SCRIPT), url]
        environment = {
            **os.environ,
            "BENCH_BODY": str(Path(scratch) / "body.json"),
            "BENCH_HEADERS": str(Path(scratch) / "headers.txt"),
        }
        output = subprocess.run(
            processes.pinned(processes.CLIENT_CPU, command),
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        ).stdout
    return parse(output)


def serve(store: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "http_mcp", "run", "conformance.fixtures:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if store is not None:
        command += ["--store", store]
    server = subprocess.Popen(processes.pinned(processes.SERVER_CPU, command), cwd=ROOT)
    url = f"http://127.0.0.1:{port}/mcp"
    wait_until_serving(url, server)
    return server, url


def measure(label: str, store: str | None, seconds: int) -> None:
    server, url = serve(store)
    try:
        report = poll_rate(url, seconds)
    finally:
        stop(server)
    print(  # noqa: T201
        f"tasks/get on {label}: {report.requests_per_second:,.0f} per second, "
        f"p50 {report.p50_ms:.2f} ms, p99 {report.p99_ms:.2f} ms "
        f"({CONNECTIONS} connections, {report.bad_responses} non-2xx)"
    )


def main() -> None:
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    measure("the in-process store", None, seconds)
    redis_port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as data:
        command = [str(ROOT / "scripts" / "redis-server"), "--bind", "127.0.0.1"]
        command += ["--port", str(redis_port), "--save", "", "--appendonly", "no", "--dir", data]
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)  # a benchmark, not a test: let redis-server open its port
            measure("Redis (loopback)", f"redis://127.0.0.1:{redis_port}/0", seconds)
        finally:
            stop(redis)


if __name__ == "__main__":
    main()
